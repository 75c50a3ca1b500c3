"""An owner files a report through the describe-first card, whatever it guesses: the helper
answers the questions the card asks and corrects the guesses it must, from the saved state."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.harness import Desk, Words, expect


async def draft(desk: Desk, chat_id: int) -> dict[str, Any]:
    """The answers of the chat's report in progress ({} when there is none)."""
    rows = await desk.rows("SELECT state FROM conversations WHERE chat_id = ?", chat_id)
    return dict(json.loads(rows[0]["state"])) if rows else {}


async def changed(desk: Desk, chat_id: int, before: dict[str, Any], within: float = 10.0) -> None:
    """Wait until the bot has saved another state of the chat's report (it handled the act)."""
    deadline = time.monotonic() + within

    def moved(now: dict[str, Any]) -> bool:
        return (now.get("step"), now.get("answers")) != (before.get("step"), before.get("answers"))

    while not moved(await draft(desk, chat_id)):
        assert time.monotonic() < deadline, f"the report did not move on from {before}"
        await asyncio.sleep(0.05)


async def describe(user: Any, w: Words, description: str, *, photo: bool = False) -> None:
    """/new, then the description (as a photo's caption when ``photo``)."""
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    if photo:
        await user.send_photo(caption=description)
    else:
        await user.send(description)
    await user.wait_for_message()  # the card, below the description


async def settle_card(
    desk: Desk,
    user: Any,
    w: Words,
    *,
    category: str,
    sub: str | None,
    urgency: str,
    estate: str,
    building: str,
    unit: str = "1502",
) -> None:
    """Answer and correct the card until its summary shows the wanted report."""
    for _ in range(20):
        state = await draft(desk, user.chat_id)
        step, answers = state["step"], state["answers"]
        if step == "summary":
            fix = _wrong(answers, category, sub, urgency, estate, building, unit)
            if fix is None:
                return
            await user.press("✏️ " + w.t(fix))
        elif step == "category":
            await user.press(w.category(category))
        elif step == "subcategory":
            assert sub is not None, f"asked for a subcategory of {category}"
            await user.press(w.sub(category, sub))
        elif step == "urgency":
            await user.press(w.urgency(urgency))
        elif step == "place":
            await user.press(w.t("intake.place_new_unit"))
        elif step == "estate":
            await user.press(w.estate(estate))
        elif step == "building":
            await user.press(w.building(estate, building))
        elif step == "unit":
            await user.send(unit)
        else:
            raise AssertionError(f"unexpected step {step}: {user.last.text}")
        await changed(desk, user.chat_id, state)
    raise AssertionError("the card did not settle")


def _wrong(
    answers: dict[str, Any],
    category: str,
    sub: str | None,
    urgency: str,
    estate: str,
    building: str,
    unit: str,
) -> str | None:
    """The label key of the first field whose answer is not the wanted one."""
    if answers.get("category") != category or answers.get("subcategory") != sub:
        return "field.category"
    if answers.get("urgency") != urgency:
        return "field.urgency"
    where = (answers.get("estate"), answers.get("building"), answers.get("unit"))
    if answers.get("where") != "unit" or where != (estate, building, unit):
        return "field.location"
    return None


async def submit(user: Any, w: Words, *, phone: bool = False) -> Any:
    """Submit the card; the first time, share the phone (``phone``) or skip it. Returns the
    confirmation."""
    await user.press(w.t("flow.btn_submit"))
    ask = w.t("intake.ask_phone")
    reply = await user.wait_for_message(lambda m: ask in (m.text or "") or "HV-" in (m.text or ""))
    if ask not in (reply.text or ""):
        return reply
    await user.tap(w.t("flow.btn_share_contact") if phone else w.t("flow.btn_skip"))
    return await expect(user, "HV-")
