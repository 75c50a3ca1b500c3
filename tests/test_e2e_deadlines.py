"""Deadlines kept or escalated, end to end, with second-scale deadlines and the real clock."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ShiftedClock
from tests.fakebot import FakeBotApi
from tests.harness import DEFAULT_NOW, Desk, Words, expect
from tests.test_e2e_staff import LI_SUP, WANG, ZHANG, ZHOU_ADMIN, card_of, file_ticket, zh


def fast(data: dict[str, Any]) -> None:
    """Emergencies due in seconds; maintenance covered around the clock by Wang and Zhang."""
    for level in data["urgencies"]:
        if level["id"] == "emergency":
            level.update(accept_within="3s", resolve_within="5s")
    data["roster"] = [s for s in data["roster"] if s["department"] != "maintenance"]
    data["roster"].append(
        {"department": "maintenance", "staff": [WANG, ZHANG], "hours": "00:00-24:00"}
    )
    data["roster_exceptions"] = []
    data["escalation"] = {"nudge_at": 0.5, "manager": ZHOU_ADMIN, "manager_after": "2s"}


@pytest.fixture
async def quick(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """A bot on the real clock with second-scale emergency deadlines."""
    bot = Desk(fake, tmp_path, clock=ShiftedClock(DEFAULT_NOW), edit=fast)
    await bot.start()
    yield bot
    await bot.stop()


async def events_of(desk: Desk, ticket_id: int) -> list[dict[str, Any]]:
    """A ticket's timeline rows."""
    return await desk.rows(
        "SELECT kind, data FROM ticket_events WHERE ticket_id = ? ORDER BY id", ticket_id
    )


async def until(desk: Desk, sql: str, *params: Any, within: float = 15.0) -> list[dict[str, Any]]:
    """Wait until a query returns rows."""
    deadline = time.monotonic() + within
    while not (rows := await desk.rows(sql, *params)):
        assert time.monotonic() < deadline, f"nothing for {sql} {params}"
        await asyncio.sleep(0.1)
    return rows


async def emergency(desk: Desk, owner: Any) -> dict[str, Any]:
    """A burst pipe in Harbour View block 3."""
    return await file_ticket(
        desk,
        owner,
        sub="burst_pipe",
        urgency="emergency",
        description="Water pouring through the ceiling",
    )


async def test_nobody_accepts_so_it_goes_to_the_next_person(quick: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(5001, language_code="en")
    row = await emergency(quick, owner)
    first = row["assignee_id"]
    assert first in (WANG, ZHANG)
    second = ZHANG if first == WANG else WANG
    z = zh(quick)
    await expect(
        fake.user(first),
        z.t("notify.assignee.nudge_accept", number=row["number"], by="\x00").split("\x00")[0],
    )
    rows = await until(
        quick, "SELECT * FROM tickets WHERE id = ? AND assignee_id = ?", row["id"], second
    )
    assert rows[0]["status"] == "assigned" and rows[0]["overdue"] == 1
    assert rows[0]["accept_due"] > row["accept_due"]  # the next person gets a full period
    await card_of(fake.user(second), row["number"])
    await expect(fake.user(LI_SUP), row["number"])  # the supervisor is told
    w = Words(quick.settings, "en")
    await expect(owner, w.t("notify.owner.late", number=row["number"]))  # and so is the owner
    kinds = [e["kind"] for e in await events_of(quick, row["id"])]
    assert kinds[:4] == ["created", "assigned", "nudged", "escalated"]


async def test_accepted_in_time_is_not_escalated(quick: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(5002, language_code="en")
    row = await emergency(quick, owner)
    staff = fake.user(row["assignee_id"])
    card = await card_of(staff, row["number"])
    await staff.press(zh(quick).t("card.btn_accept"), message_id=card.message_id)
    await staff.wait_callback_answer()
    await asyncio.sleep(3.5)  # past the accept deadline
    kinds = [e["kind"] for e in await events_of(quick, row["id"])]
    assert "escalated" not in kinds and kinds[:3] == ["created", "assigned", "accepted"]
    # Not resolved in time: overdue, assignee and supervisor told, then the manager.
    await until(quick, "SELECT id FROM tickets WHERE id = ? AND overdue = 1", row["id"])
    await expect(
        staff,
        zh(quick).t(
            "notify.assignee.overdue", number=row["number"], stage=zh(quick).t("stage.resolve")
        ),
    )
    await until(
        quick,
        "SELECT id FROM ticket_events WHERE ticket_id = ? AND kind = ?",
        row["id"],
        "manager_alerted",
    )
    await expect(fake.user(ZHOU_ADMIN), row["number"])
    final = await quick.rows("SELECT status, assignee_id FROM tickets WHERE id = ?", row["id"])
    assert final == [{"status": "accepted", "assignee_id": row["assignee_id"]}]


async def test_down_across_the_deadline_escalates_once_after_restart(
    quick: Desk, fake: FakeBotApi
) -> None:
    owner = fake.user(5003, language_code="en")
    row = await emergency(quick, owner)
    await quick.stop()
    await asyncio.sleep(3.5)  # the accept deadline passes while the bot is down
    for _ in range(3):  # three starts in a row: the missed deadline escalates exactly once
        await quick.start()
        await until(
            quick,
            "SELECT id FROM ticket_events WHERE ticket_id = ? AND kind = ?",
            row["id"],
            "escalated",
        )
        await quick.outbox_settled()
        await quick.stop()
    await quick.start()
    missed = datetime.fromisoformat(row["accept_due"])
    escalations = [
        json.loads(e["data"]) for e in await events_of(quick, row["id"]) if e["kind"] == "escalated"
    ]
    for_this_deadline = [
        e
        for e in escalations
        if e["stage"] == "accept" and datetime.fromisoformat(e["due"]) == missed
    ]
    assert len(for_this_deadline) == 1, escalations
    supervisor_alerts = [m for m in fake.user(LI_SUP).messages if row["number"] in (m.text or "")]
    assert len(supervisor_alerts) == 1


async def test_paused_clock_waits_for_the_owner(quick: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(5004, language_code="en")
    w, z = Words(quick.settings, "en"), zh(quick)
    row = await emergency(quick, owner)
    staff = fake.user(row["assignee_id"])
    card = await card_of(staff, row["number"])
    await staff.press(z.t("card.btn_accept"), message_id=card.message_id)
    await staff.wait_callback_answer()
    await staff.wait_for_edit(card.message_id)
    await staff.press(z.t("card.btn_pause"), message_id=card.message_id)
    assert (await staff.wait_callback_answer()).text == z.t(
        "card.paused_toast", number=row["number"]
    )
    waiting = await expect(
        owner, w.t("notify.owner.waiting", number=row["number"], by_name="")[:25]
    )
    await asyncio.sleep(5.5)  # past the resolve deadline: paused, so nothing happens
    assert "escalated" not in [e["kind"] for e in await events_of(quick, row["id"])]
    before = (await quick.rows("SELECT resolve_due FROM tickets WHERE id = ?", row["id"]))[0]
    await owner.reply_to(waiting.message_id, "I am home now")
    await expect(staff, "I am home now")
    resumed = await until(
        quick,
        "SELECT resolve_due, paused_at FROM tickets WHERE id = ? AND paused_at IS NULL",
        row["id"],
    )
    moved = (
        datetime.fromisoformat(resumed[0]["resolve_due"])
        - datetime.fromisoformat(before["resolve_due"])
    ).total_seconds()
    assert 5 <= moved <= 15  # the deadline moved on by the time spent waiting
    kinds = [e["kind"] for e in await events_of(quick, row["id"])]
    tail = kinds[kinds.index("paused") :]
    assert tail[:3] == ["paused", "owner_message", "resumed"], kinds
