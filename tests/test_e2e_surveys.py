"""Return visits end to end: timing, ratings, reminders, expiry, follow-ups, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ShiftedClock
from bot.core.staff_names import shown_name
from tests.fakebot import FakeBotApi
from tests.harness import DEFAULT_NOW, Desk, Words, expect
from tests.test_e2e_deadlines import until
from tests.test_e2e_staff import LI_SUP, ZHOU_ADMIN, card_of, file_ticket, zh


def quick_surveys(data: dict[str, Any]) -> None:
    """Surveys in seconds, no quiet hours, and maintenance covered around the clock."""
    data["surveys"] = {
        "delay": "1s",
        "quiet_hours": None,
        "remind_after": "2s",
        "close_after": "4s",
        "ask_when_confirmed": False,
        "followup_at_or_below": 2,
        "followup_within": "2s",
    }
    data["roster"] = [s for s in data["roster"] if s["department"] != "maintenance"]
    data["roster"].append(
        {"department": "maintenance", "staff": [7034518826], "hours": "00:00-24:00"}
    )
    data["roster_exceptions"] = []


@pytest.fixture
async def sv(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """A bot on the real clock with second-scale surveys."""
    bot = Desk(fake, tmp_path, clock=ShiftedClock(DEFAULT_NOW), edit=quick_surveys)
    await bot.start()
    yield bot
    await bot.stop()


async def resolved(desk: Desk, fake: FakeBotApi, owner: Any) -> dict[str, Any]:
    """An owner's ticket, accepted and resolved by the engineer; returns the ticket row."""
    row = await file_ticket(desk, owner)
    staff = fake.user(row["assignee_id"])
    z = zh(desk)
    card = await card_of(staff, row["number"])
    await staff.press(z.t("card.btn_accept"), message_id=card.message_id)
    await staff.wait_for_edit(card.message_id)
    await staff.press(z.t("card.btn_resolve"), message_id=card.message_id)
    await expect(staff, z.t("staff.ask_result", number=row["number"]))
    await staff.send("Valve replaced")
    await expect(staff, z.t("staff.ask_result_photo"))
    await staff.press(z.t("flow.btn_no_photos"))
    await expect(staff, z.t("staff.resolve_summary", number=row["number"]))
    await staff.press(z.t("flow.btn_submit"))
    await expect(owner, "Valve replaced")
    return row


async def survey_message(owner: Any, w: Words, number: str, wait: float = 10.0) -> Any:
    """The survey question with its five star buttons."""
    return await owner.wait_for_message(
        lambda m: (
            number in (m.text or "")
            and w.t("survey.rating.5") in " ".join(m.labels)
            and w.t("owner.btn_not_fixed") not in m.labels
        ),  # not the "resolved" message
        timeout=wait,
    )


async def test_good_rating_closes_and_praise_reaches_staff(sv: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(6001, language_code="en")
    w = Words(sv.settings, "en")
    row = await resolved(sv, fake, owner)
    rows = await sv.rows("SELECT status, due_at FROM surveys WHERE ticket_id = ?", row["id"])
    assert rows[0]["status"] == "scheduled"
    question = await survey_message(owner, w, row["number"])
    five = question.data_for(f"★★★★★ {w.t('survey.rating.5')}")
    await owner.press_data(five, message_id=question.message_id)
    await expect(owner, w.t("survey.ask_praise"))
    await owner.press_data(five, message_id=question.message_id)  # the same star again
    assert (await owner.wait_callback_answer()).text == w.t("survey.already_answered")
    await owner.send("Master Wang was quick and tidy")
    await expect(owner, w.t("survey.thanks"))
    await expect(fake.user(row["assignee_id"]), "Master Wang was quick and tidy")
    survey = (await sv.rows("SELECT * FROM surveys WHERE ticket_id = ?", row["id"]))[0]
    assert (survey["status"], survey["rating"], survey["praise"], survey["staff_id"]) == (
        "answered",
        5,
        "Master Wang was quick and tidy",
        row["assignee_id"],
    )
    ticket = (await sv.rows("SELECT status FROM tickets WHERE id = ?", row["id"]))[0]
    assert ticket["status"] == "closed"
    assert len(await sv.rows("SELECT id FROM surveys")) == 1


async def test_bad_rating_opens_a_followup_with_a_deadline(sv: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(6002, language_code="en")
    w, z = Words(sv.settings, "en"), zh(sv)
    row = await resolved(sv, fake, owner)
    question = await survey_message(owner, w, row["number"])
    await owner.press(f"★☆☆☆☆ {w.t('survey.rating.1')}", message_id=question.message_id)
    sup = shown_name(sv.settings, LI_SUP, "en")
    rated = await owner.wait_for_edit(question.message_id)
    assert rated.text == w.t("survey.rated_low", number=row["number"], stars="★☆☆☆☆")
    assert "thank" not in (rated.text or "").lower()  # no "thank you" for a bad rating
    call = await expect(owner, f"{sup} will call you")
    assert w.t("when.today", time="") in (call.text or "")  # follow-up due in 2 s here
    problems = await expect(owner, w.t("survey.ask_problems"))
    await owner.press(w.t("survey.ask_problems.not_fixed"), message_id=problems.message_id)
    await owner.wait_for_edit(problems.message_id)
    await owner.press(w.t("survey.ask_problems.slow"), message_id=problems.message_id)
    await owner.wait_for_edit(problems.message_id)
    await owner.press(w.t("flow.btn_done", count=2), message_id=problems.message_id)
    await expect(owner, w.t("survey.ask_comment"))
    await owner.send("Still leaking at night")
    await expect(owner, w.t("survey.thanks_low", supervisor=sup))  # named: it went to them
    supervisor = fake.user(LI_SUP)
    followup = await supervisor.wait_for_message(
        lambda m: row["number"] in (m.text or "") and z.t("survey.btn_reopen") in m.labels
    )
    await sv.outbox_settled()
    # ONE card, edited as the owner answered: rating, problems, comment, engineer, times.
    cards = [m for m in supervisor.messages if z.t("survey.btn_called") in m.labels]
    assert [m.message_id for m in cards] == [followup.message_id]
    card = cards[0].text or ""
    for part in (
        "★☆☆☆☆",
        z.t("survey.ask_problems.not_fixed"),
        z.t("survey.ask_problems.slow"),
        "Still leaking at night",
        "王强 (王师傅)",
        z.t("followup.time.accepted", when="").strip(),
        z.t("followup.time.resolved", when="").strip(),
        z.t("followup.no_phone"),  # where the owner's phone goes once tickets carry it
    ):
        assert part in card, (part, card)
    # Nobody calls back in time: the manager hears of it, once.
    await expect(fake.user(ZHOU_ADMIN), z.t("survey.followup_late", number=row["number"]), wait=10)
    survey = (await sv.rows("SELECT * FROM surveys WHERE ticket_id = ?", row["id"]))[0]
    assert survey["rating"] == 1 and survey["followup_status"] == "open"
    assert '"not_fixed"' in survey["problems"] and survey["comment"] == "Still leaking at night"
    assert (await sv.rows("SELECT status FROM tickets WHERE id = ?", row["id"]))[0][
        "status"
    ] == "resolved"  # kept open for the follow-up
    await supervisor.press(z.t("survey.btn_reopen"), message_id=followup.message_id)
    assert (await supervisor.wait_callback_answer()).text == z.t(
        "survey.followup_reopened", number=row["number"]
    )
    after = (await sv.rows("SELECT status, assignee_id FROM tickets WHERE id = ?", row["id"]))[0]
    assert after == {"status": "assigned", "assignee_id": row["assignee_id"]}
    late = await sv.rows(
        "SELECT id FROM ticket_events WHERE ticket_id = ? AND kind = ?", row["id"], "followup_late"
    )
    assert len(late) == 1


async def test_unanswered_survey_is_reminded_then_closed(sv: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(6003, language_code="en")
    w = Words(sv.settings, "en")
    row = await resolved(sv, fake, owner)
    await survey_message(owner, w, row["number"])
    reminder = await owner.wait_for_message(
        lambda m: w.t("survey.reminder", number=row["number"]) in (m.text or ""), timeout=10
    )
    assert len(reminder.labels) == 5
    await until(sv, "SELECT id FROM tickets WHERE id = ? AND status = 'closed'", row["id"])
    survey = (await sv.rows("SELECT status, rating FROM surveys WHERE ticket_id = ?", row["id"]))[0]
    assert survey == {"status": "expired", "rating": None}
    # A star pressed after the survey ended is answered politely and changes nothing.
    await owner.press(f"★★★★☆ {w.t('survey.rating.4')}", message_id=reminder.message_id)
    assert (await owner.wait_callback_answer()).text == w.t("survey.stale")


async def test_restart_before_due_sends_exactly_once(sv: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(6004, language_code="en")
    w = Words(sv.settings, "en")
    row = await resolved(sv, fake, owner)
    await sv.stop()
    await asyncio.sleep(1.5)  # the survey falls due while the bot is down
    await sv.start()
    await survey_message(owner, w, row["number"])
    await sv.restart()
    await sv.restart()
    await sv.outbox_settled()
    await asyncio.sleep(0.5)
    invites = [
        m
        for m in owner.messages
        if w.t("survey.invite", number=row["number"], category="", staff="")[:20] in (m.text or "")
    ]
    assert len(invites) == 1
    # Sent once; by now it may already have run out (close_after is 4 s here).
    assert len(await sv.rows("SELECT id FROM surveys WHERE status IN ('sent', 'expired')")) == 1


async def test_not_fixed_cancels_the_pending_survey(sv: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(6005, language_code="en")
    w = Words(sv.settings, "en")
    row = await resolved(sv, fake, owner)  # the survey is due 1 s after resolution
    result = next(m for m in owner.messages if w.t("owner.btn_not_fixed") in m.labels)
    await owner.press(w.t("owner.btn_not_fixed"), message_id=result.message_id)
    await expect(owner, w.t("owner.ask_not_fixed", number=row["number"]))
    await owner.send("Dripping again")
    await expect(owner, w.t("owner.reopened", number=row["number"]))
    surveys = await sv.rows("SELECT status FROM surveys WHERE ticket_id = ?", row["id"])
    assert surveys == [{"status": "cancelled"}]
    await asyncio.sleep(1.5)  # past the survey's due time
    asked = [
        m
        for m in owner.messages
        if w.t("survey.rating.5") in " ".join(m.labels) and m.message_id != result.message_id
    ]
    # On a slow machine it may have gone out just before the reopening; its stars are dead now.
    assert len(asked) <= 1
    if asked:
        await owner.press(f"★★★★★ {w.t('survey.rating.5')}", message_id=asked[0].message_id)
        assert (await owner.wait_callback_answer()).text == w.t("survey.stale")
    # The stars of the "resolved" message are dead too, once the ticket is reopened.
    await owner.press(f"★★★★★ {w.t('survey.rating.5')}", message_id=result.message_id)
    assert (await owner.wait_callback_answer()).text == w.t("refusal.wrong_state")


async def test_survey_waits_for_the_end_of_quiet_hours(fake: FakeBotApi, tmp_path: Path) -> None:
    def quiet(data: dict[str, Any]) -> None:
        quick_surveys(data)
        data["surveys"].update(delay="1h", quiet_hours="22:00-08:00")

    # Resolved at 22:30 Shanghai: due 23:30, inside quiet hours, so 08:00 next morning.
    desk = Desk(fake, tmp_path, edit=quiet)
    desk.clock.now = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
    await desk.start()
    try:
        owner = fake.user(6006, language_code="en")
        row = await resolved(desk, fake, owner)
        due = (await desk.rows("SELECT due_at FROM surveys WHERE ticket_id = ?", row["id"]))[0]
        assert datetime.fromisoformat(due["due_at"]) == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    finally:
        await desk.stop()
