"""Staff in the loop, end to end: routing, cards, accept, transfer, resolve, reopen, relay."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.staff_names import shown_name
from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.reporting import describe, settle_card, submit

WANG, LIU, ZHANG, LI_SUP = 7034518826, 7129046613, 6875203341, 6021834457
SUN_SECURITY, KAREN_SERVICE, ZHOU_ADMIN = 6392758014, 5842176903, 5713096628
GROUP = -1001234567890


async def file_ticket(
    desk: Desk,
    user: Any,
    *,
    category: str = "water_power",
    sub: str | None = "no_water",
    estate: str = "harbour_view",
    building: str = "3",
    urgency: str = "urgent",
    description: str = "No water since this morning",
    photo: bool = False,
) -> dict[str, Any]:
    """An owner files a report in their flat; returns the stored ticket row."""
    w = Words(desk.settings, "en")
    before = len(await desk.rows("SELECT id FROM tickets"))
    await fill_report(
        desk,
        user,
        category=category,
        sub=sub,
        estate=estate,
        building=building,
        urgency=urgency,
        description=description,
        photo=photo,
    )
    await submit(user, w)
    await desk.outbox_settled()
    rows = await desk.rows("SELECT * FROM tickets ORDER BY id")
    assert len(rows) == before + 1
    return rows[-1]


async def fill_report(
    desk: Desk,
    user: Any,
    *,
    category: str = "water_power",
    sub: str | None = "no_water",
    estate: str = "harbour_view",
    building: str = "3",
    urgency: str = "urgent",
    description: str = "No water since this morning",
    photo: bool = False,
) -> None:
    """An owner describes a problem and settles the card on the wanted answers (the
    description's guesses corrected where they differ), up to its summary."""
    w = Words(desk.settings, "en")
    await describe(user, w, description, photo=photo)
    await settle_card(
        desk,
        user,
        w,
        category=category,
        sub=sub,
        urgency=urgency,
        estate=estate,
        building=building,
    )


def zh(desk: Desk) -> Words:
    """Staff here read Simplified Chinese (their Telegram language)."""
    return Words(desk.settings, "zh-Hans")


async def card_of(staff: Any, number: str) -> Any:
    """The newest card of a ticket in a staff chat."""
    return await staff.wait_for_message(lambda m: number in (m.text or "") and bool(m.buttons))


async def ticket(desk: Desk, ticket_id: int) -> dict[str, Any]:
    """The ticket row now."""
    return (await desk.rows("SELECT * FROM tickets WHERE id = ?", ticket_id))[0]


@pytest.mark.parametrize(
    ("when", "estate", "building", "expected"),
    [
        (datetime(2026, 11, 26, 2, 0, tzinfo=UTC), "harbour_view", "3", WANG),  # Thu 10:00
        (datetime(2026, 11, 26, 2, 0, tzinfo=UTC), "emerald_lake", "B", LIU),  # Thu 10:00
        (datetime(2026, 11, 26, 15, 0, tzinfo=UTC), "harbour_view", "3", ZHANG),  # Thu 23:00
        (datetime(2026, 11, 26, 19, 59, tzinfo=UTC), "emerald_lake", "B", ZHANG),  # Fri 03:59
        (datetime(2026, 11, 26, 11, 0, tzinfo=UTC), "harbour_view", "3", LI_SUP),  # 19:00: gap
    ],
)
async def test_ticket_is_routed_by_roster_and_time(
    desk: Desk, fake: FakeBotApi, when: datetime, estate: str, building: str, expected: int
) -> None:
    desk.clock.now = when
    owner = fake.user(4001, language_code="en")
    row = await file_ticket(desk, owner, estate=estate, building=building)
    assert row["status"] == "assigned" and row["assignee_id"] == expected
    card = await card_of(fake.user(expected), row["number"])
    assert zh(desk).t("card.btn_accept") in card.labels
    assert "1502" in (card.text or "") and "No water since this morning" in (card.text or "")
    group_card = await card_of(fake.group(GROUP).member(fake.user(ZHANG)), row["number"])
    assert group_card.labels == [zh(desk).t("card.btn_accept")]


async def test_accept_start_resolve_fixed(desk: Desk, fake: FakeBotApi) -> None:
    owner, wang = fake.user(4002, language_code="en"), fake.user(WANG)
    w, z = Words(desk.settings, "en"), zh(desk)
    row = await file_ticket(desk, owner, photo=True)
    card = await card_of(wang, row["number"])
    assert any(m.photos for m in wang.messages)  # the owner's photo comes with the card
    await wang.press(z.t("card.btn_accept"), message_id=card.message_id)
    answer = await wang.wait_callback_answer()
    assert answer.text == z.t("card.accepted_toast", number=row["number"])
    accepted = await expect(
        owner,
        w.t(
            "notify.owner.accepted",
            by_name=shown_name(desk.settings, WANG, "en"),  # never the internal "王强 (王师傅)"
            number=row["number"],
        ),
    )
    edited = await wang.wait_for_edit(card.message_id)
    assert z.t("card.btn_resolve") in edited.labels  # the same card, now with work buttons
    assert (await ticket(desk, row["id"]))["status"] == "accepted"
    await desk.restart()  # nothing is lost between the steps
    await wang.press(z.t("card.btn_start"), message_id=card.message_id)
    await expect(
        owner, w.t("notify.owner.started", by_name="Mr Wang, Maintenance", number=row["number"])
    )
    await wang.press(z.t("card.btn_resolve"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_result", number=row["number"]))
    await wang.send("Replaced the valve; water is back")
    await expect(wang, z.t("staff.ask_result_photo"))
    sent = await wang.send_photo()
    result_photo = sent["message"]["photo"][-1]["file_id"]
    await expect(wang, z.t("flow.photos_count", count=1, max=1))
    await wang.press(z.t("flow.btn_done", count=1))
    await expect(wang, z.t("staff.resolve_summary", number=row["number"]))
    await wang.press(z.t("flow.btn_submit"))
    await expect(wang, z.t("staff.resolved", number=row["number"]))
    result = await owner.wait_for_message(lambda m: "Replaced the valve" in (m.text or ""))
    assert result.photos and result.photos[-1] == result_photo
    # The survey's first question comes with the result: a good rating also says "fixed".
    five = f"★★★★★ {w.t('survey.rating.5')}"
    assert result.labels[0] == five and result.labels[-1] == w.t("owner.btn_not_fixed")
    assert len(result.labels) == 6
    assert w.t("notify.note_in.cjk") not in (result.text or "")  # an English note for him
    assert accepted.message_id < result.message_id
    await owner.press(five, message_id=result.message_id)
    await expect(wang, z.t("notify.assignee.confirmed", number=row["number"]))
    await expect(owner, w.t("survey.ask_praise"))
    survey = (await desk.rows("SELECT * FROM surveys WHERE ticket_id = ?", row["id"]))[0]
    assert (survey["status"], survey["rating"]) == ("answered", 5)
    final = await ticket(desk, row["id"])
    assert (final["status"], final["resolution_note"], final["resolution_photo"]) == (
        "closed",
        "Replaced the valve; water is back",
        result_photo,
    )
    kinds = [
        e["kind"]
        for e in await desk.rows(
            "SELECT kind FROM ticket_events WHERE ticket_id = ? ORDER BY id", row["id"]
        )
    ]
    assert kinds == ["created", "assigned", "accepted", "started", "resolved", "confirmed"]


async def test_not_fixed_reopens_to_the_same_engineer(desk: Desk, fake: FakeBotApi) -> None:
    owner, wang = fake.user(4003, language_code="en"), fake.user(WANG)
    w, z = Words(desk.settings, "en"), zh(desk)
    row = await file_ticket(desk, owner)
    card = await card_of(wang, row["number"])
    await wang.press(z.t("card.btn_accept"), message_id=card.message_id)
    await wang.wait_for_edit(card.message_id)
    await wang.press(z.t("card.btn_resolve"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_result", number=row["number"]))
    await wang.send("Reset the pump")
    await expect(wang, z.t("staff.ask_result_photo"))
    await wang.press(z.t("flow.btn_no_photos"))
    await expect(wang, z.t("staff.resolve_summary", number=row["number"]))
    await wang.press(z.t("flow.btn_submit"))
    result = await owner.wait_for_message(lambda m: "Reset the pump" in (m.text or ""))
    await owner.press(w.t("owner.btn_not_fixed"), message_id=result.message_id)
    await expect(owner, w.t("owner.ask_not_fixed", number=row["number"]))
    await owner.send("Still only a trickle upstairs")
    await expect(owner, w.t("owner.reopened", number=row["number"]))
    await expect(wang, "Still only a trickle upstairs")
    reopened = await ticket(desk, row["id"])
    assert (reopened["status"], reopened["assignee_id"]) == ("assigned", WANG)
    # The supervisor hears of it too.
    await expect(fake.user(LI_SUP), "Still only a trickle upstairs")


async def test_transfer_moves_the_card(desk: Desk, fake: FakeBotApi) -> None:
    owner, wang, liu = fake.user(4004, language_code="en"), fake.user(WANG), fake.user(LIU)
    z = zh(desk)
    row = await file_ticket(desk, owner)
    card = await card_of(wang, row["number"])
    await wang.press(z.t("card.btn_transfer"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_transfer_target", number=row["number"]))
    await wang.press("刘海涛")
    await expect(wang, z.t("staff.ask_transfer_reason"))
    await wang.send("Liu knows this pump")
    await expect(wang, z.t("staff.transferred", number=row["number"]))
    # The card first (cards go before notices), then who passed it on and why.
    new_card = await card_of(liu, row["number"])
    assert z.t("card.btn_accept") in new_card.labels
    await expect(liu, "Liu knows this pump")
    old = await wang.wait_for_edit(card.message_id)  # says, once, that the ticket moved on
    assert old.text == z.t("card.left", number=row["number"]) and old.labels == []
    assert (await ticket(desk, row["id"]))["assignee_id"] == LIU
    # A forged Accept on Wang's old card is refused politely.
    await wang.press_data(f"k:{row['id']}:accept", message_id=card.message_id)
    assert (await wang.wait_callback_answer()).text == z.t("refusal.not_assignee")


async def test_group_claim_race_exactly_one_wins(desk: Desk, fake: FakeBotApi) -> None:
    # 19:00: nobody on the maintenance roster, so the ticket sits with the fallback
    # supervisor and on the group card; two engineers grab it at once.
    desk.clock.now = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    owner = fake.user(4005, language_code="en")
    group = fake.group(GROUP)
    wang, zhang = group.member(fake.user(WANG)), group.member(fake.user(ZHANG))
    row = await file_ticket(desk, owner)
    card = await card_of(wang, row["number"])
    data = card.data_for(zh(desk).t("card.btn_accept"))
    await asyncio.gather(
        wang.press_data(data, message_id=card.message_id),
        zhang.press_data(data, message_id=card.message_id),
    )
    await wang.wait_callback_answer()
    await zhang.wait_callback_answer()
    await desk.outbox_settled()
    answers = {a.user_id: a.text for a in fake.callback_answers if a.data == data}
    after = await ticket(desk, row["id"])
    assert after["status"] == "accepted" and after["assignee_id"] in (WANG, ZHANG)
    loser = ZHANG if after["assignee_id"] == WANG else WANG
    winner_name = desk.settings.staff_member(after["assignee_id"]).name  # type: ignore[union-attr]
    assert answers[loser] == zh(desk).t("refusal.already_taken", by=winner_name)
    accepted = await desk.rows(
        "SELECT actor_id FROM ticket_events WHERE ticket_id = ? AND kind = 'accepted'", row["id"]
    )
    assert len(accepted) == 1
    final_card = next(m for m in group.messages if m.message_id == card.message_id)
    assert winner_name in (final_card.text or "") and final_card.labels == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (4999, "refusal.not_staff"),
        (SUN_SECURITY, "refusal.other_department"),
        (LIU, "refusal.other_estate"),
    ],
)
async def test_forged_accept_is_refused(
    desk: Desk, fake: FakeBotApi, who: int, expected: str
) -> None:
    owner = fake.user(4006, language_code="en")
    row = await file_ticket(desk, owner)
    intruder = fake.user(who, language_code="zh-hans")
    await intruder.command("/help")
    await intruder.wait_for_message()
    await intruder.press_data(f"k:{row['id']}:accept")
    answer = await intruder.wait_callback_answer()
    assert answer.text == zh(desk).t(expected)
    after = await ticket(desk, row["id"])
    assert (after["status"], after["assignee_id"], after["version"]) == (
        "assigned",
        WANG,
        row["version"],
    )


async def test_owner_cannot_work_their_own_ticket_or_see_others(
    desk: Desk, fake: FakeBotApi
) -> None:
    owner, other = fake.user(4007, language_code="en"), fake.user(4008, language_code="en")
    w = Words(desk.settings, "en")
    row = await file_ticket(desk, owner)
    await other.command("/help")
    await other.wait_for_message()
    for data in (f"k:{row['id']}:accept", f"k:{row['id']}:resolve"):
        await owner.press_data(data)
        assert (await owner.wait_callback_answer()).text == w.t("refusal.not_staff")
    for data in (f"o:{row['id']}:withdraw", f"o:{row['id']}:fixed", f"t:{row['id']}"):
        await other.press_data(data)
        assert (await other.wait_callback_answer()).text == w.t("ticket.not_found")
    assert (await ticket(desk, row["id"]))["status"] == "assigned"


async def test_relay_both_ways_and_withdraw(desk: Desk, fake: FakeBotApi) -> None:
    owner, wang = fake.user(4009, language_code="en"), fake.user(WANG)
    w, z = Words(desk.settings, "en"), zh(desk)
    row = await file_ticket(desk, owner)
    card = await card_of(wang, row["number"])
    await wang.press(z.t("card.btn_accept"), message_id=card.message_id)
    accepted = await expect(
        owner,
        w.t(
            "notify.owner.accepted",
            by_name=shown_name(desk.settings, WANG, "en"),  # never the internal "王强 (王师傅)"
            number=row["number"],
        ),
    )
    # The owner replies to the notification: it reaches the engineer, not his account.
    await owner.reply_to(accepted.message_id, "I am home after 3pm")
    await expect(owner, w.t("owner.message_sent", number=row["number"]))
    relayed = await expect(wang, "I am home after 3pm")
    assert "4009" not in (relayed.text or "")
    # The engineer answers by replying to the relayed message.
    await wang.reply_to(relayed.message_id, "I will come at 3:30")
    await expect(wang, z.t("staff.reply_sent", number=row["number"]))
    await expect(owner, "I will come at 3:30")
    # And through the card's Reply button, with a photo.
    await wang.press(z.t("card.btn_reply"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_reply", number=row["number"]))
    sent = await wang.send_photo(caption="This is the part")
    photo_reply = await owner.wait_for_message(lambda m: "This is the part" in (m.text or ""))
    assert photo_reply.photos[-1] == sent["message"]["photo"][-1]["file_id"]
    # An internal note never reaches the owner.
    await wang.press(z.t("card.btn_note"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_note", number=row["number"]))
    await wang.send("Owner seems anxious")
    await expect(wang, z.t("staff.note_saved", number=row["number"]))
    # The owner withdraws from the ticket's details; the engineer is told.
    await owner.command("/my")
    await expect(owner, w.t("my.title", first=1, last=1, total=1))
    await owner.press(row["number"])
    details = await expect(owner, w.t("ticket.details_title", number=row["number"]))
    assert "Owner seems anxious" not in (details.text or "")
    assert "I will come at 3:30" in (details.text or "")
    await owner.press(w.t("owner.btn_withdraw"), message_id=details.message_id)
    await expect(owner, w.t("owner.withdraw_confirm", number=row["number"]))
    await owner.press(w.t("owner.btn_withdraw_yes"))
    await expect(wang, z.t("notify.assignee.cancelled", number=row["number"], reason="").strip())
    assert (await ticket(desk, row["id"]))["status"] == "cancelled"
    assert not any("Owner seems anxious" in (m.text or "") for m in owner.messages)
    # Stale card buttons after the withdrawal are refused.
    await wang.press_data(f"k:{row['id']}:resolve", message_id=card.message_id)
    assert (await wang.wait_callback_answer()).text == z.t("refusal.wrong_state")


async def test_staff_commands(desk: Desk, fake: FakeBotApi) -> None:
    owner, wang, li = fake.user(4010, language_code="en"), fake.user(WANG), fake.user(LI_SUP)
    z = zh(desk)
    row = await file_ticket(desk, owner)
    await wang.command("/queue")
    queue = await expect(wang, z.t("staff.queue_title", count=1))
    assert row["number"] in (queue.text or "")
    # The deadline in words with the time left (urgent: 30 minutes on a standing clock).
    assert z.t("left.remaining", span=z.t("time.minutes", n=30)) in (queue.text or "")
    await wang.command("/ticket", row["number"])
    details = await expect(wang, z.t("ticket.details_title", number=row["number"]))
    assert z.t("card.btn_accept") in details.labels
    await owner.command("/queue")
    await expect(owner, Words(desk.settings, "en").t("refusal.not_staff"))
    await wang.command("/open")
    await expect(wang, z.t("refusal.not_supervisor"))
    await li.command("/open")
    await expect(li, z.t("staff.open_empty"))
    # Wang goes off duty: the next ticket in his shift goes to the fallback supervisor.
    await wang.command("/duty", "off")
    await expect(wang, z.t("staff.duty_off"))
    second = await file_ticket(desk, owner, description="Tap dripping in the kitchen")
    assert second["assignee_id"] == LI_SUP
    await wang.command("/duty", "on")
    await expect(wang, z.t("staff.duty_on"))


async def test_blocked_engineer_gets_no_ticket_and_the_supervisor_knows(
    desk: Desk, fake: FakeBotApi
) -> None:
    fake.user(WANG).block()
    owner = fake.user(4011, language_code="en")
    row = await file_ticket(desk, owner)
    await desk.outbox_settled()
    after = await ticket(desk, row["id"])
    assert after["assignee_id"] == LI_SUP  # nobody else on the day shift: the fallback
    await card_of(fake.user(LI_SUP), row["number"])
    await expect(fake.user(LI_SUP), "王强")  # told why the ticket came to them
    failed = await desk.rows(
        "SELECT kind FROM ticket_events WHERE ticket_id = ? AND kind = 'delivery_failed'", row["id"]
    )
    assert len(failed) == 2  # his card, and the note that the ticket moved on: both recorded


async def test_a_burst_of_reports_is_spread_over_the_people_on_duty(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """Six owners press Submit at the same moment (one batch, handled side by side): with two
    engineers on the day shift each gets three, as one at a time would have given them."""

    def two_on_the_day_shift(data: dict[str, Any]) -> None:
        data["roster"][0]["staff"] = [WANG, LIU]

    desk = Desk(fake, tmp_path, edit=two_on_the_day_shift)
    await desk.start()
    try:
        desk.clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thu 10:00
        owners = [fake.user(4100 + i, language_code="en") for i in range(6)]
        for owner in owners:  # asked for their phone before: Submit files at once
            await desk.execute(
                "INSERT INTO users (telegram_id, first_name, created_at, updated_at, phone_asked)"
                " VALUES (?, 'Li', '2026-01-01', '2026-01-01', 1)",
                owner.id,
            )
            await fill_report(desk, owner)
        w = Words(desk.settings, "en")
        for owner in owners:  # no await yields in between: one batch
            await owner.press(w.t("flow.btn_submit"))
        for owner in owners:
            await expect(owner, "HV-")
        rows = await desk.rows("SELECT assignee_id FROM tickets")
        load = Counter(r["assignee_id"] for r in rows)
        assert load == {WANG: 3, LIU: 3}, load
    finally:
        await desk.stop()


async def test_a_reply_faster_than_telegrams_answer_still_reaches_the_engineer(
    desk: Desk, fake: FakeBotApi
) -> None:
    """The owner sees the notice before the bot has Telegram's answer (and the message's id):
    a reply in that moment is still matched to its ticket."""
    owner, wang = fake.user(4019, language_code="en"), fake.user(WANG)
    w, z = Words(desk.settings, "en"), zh(desk)
    row = await file_ticket(desk, owner)
    card = await card_of(wang, row["number"])
    fake.faults.methods = frozenset({"sendMessage"})
    fake.faults.slow_seconds = 0.5
    fake.faults.slow_rate = 1.0  # every new message is answered half a second late
    await wang.press(z.t("card.btn_accept"), message_id=card.message_id)
    accepted = await expect(
        owner,
        w.t(
            "notify.owner.accepted",
            by_name=shown_name(desk.settings, WANG, "en"),  # never the internal "王强 (王师傅)"
            number=row["number"],
        ),
    )
    await owner.reply_to(accepted.message_id, "Ring twice please")
    await expect(owner, w.t("owner.message_sent", number=row["number"]))
    fake.faults.slow_rate = 0.0
    await expect(wang, "Ring twice please")
