"""Who sees what, end to end: the department group, estates, strangers in groups, card privacy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.test_e2e_staff import GROUP, LI_SUP, LIU, WANG, ZHANG, card_of, file_ticket, ticket, zh

# Two supervisors the shipped config does not have: one for maintenance at Emerald Lake only,
# and one with no department listed (every department) but Emerald Lake only.
EL_SUP, EL_MANAGER = 6100000001, 6100000002
OTHER_GROUP = -1009990001


def estate_supervisors(data: dict[str, Any]) -> None:
    """Add the two Emerald Lake supervisors to the config."""
    data["staff"] += [
        {
            "telegram_id": EL_SUP,
            "name": "翠湖主管",
            "role": "supervisor",
            "departments": ["maintenance"],
            "estates": ["emerald_lake"],
        },
        {
            "telegram_id": EL_MANAGER,
            "name": "翠湖经理",
            "role": "supervisor",
            "departments": [],
            "estates": ["emerald_lake"],
        },
    ]


@pytest.fixture
async def estates(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The bot with the Emerald Lake supervisors."""
    bot = Desk(fake, tmp_path, edit=estate_supervisors)
    await bot.start()
    yield bot
    await bot.stop()


# --- 2: only the ticket's own department group is its group -------------------------------


async def test_a_press_in_another_group_cannot_take_a_ticket(desk: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(4501, language_code="en")
    row = await file_ticket(desk, owner)
    assert row["assignee_id"] == WANG
    # 张伟 is in the right department, but presses in a group that is not maintenance's.
    elsewhere = fake.group(OTHER_GROUP).member(fake.user(ZHANG))
    posted = await elsewhere.send("anyone?")
    await elsewhere.press_data(f"k:{row['id']}:accept", message_id=posted["message"]["message_id"])
    answer = await elsewhere.wait_callback_answer()
    after = await ticket(desk, row["id"])
    assert (after["status"], after["assignee_id"], after["version"]) == (
        "assigned",
        WANG,
        row["version"],
    )
    assert answer.text == zh(desk).t("staff.not_this_group")
    assert fake.group(OTHER_GROUP).messages == []  # and nothing is said in that group
    # In the department's own group the same press works.
    in_group = fake.group(GROUP).member(fake.user(ZHANG))
    card = await card_of(in_group, row["number"])
    await in_group.press(zh(desk).t("card.btn_accept"), message_id=card.message_id)
    assert (await in_group.wait_callback_answer()).text == zh(desk).t(
        "card.accepted_toast", number=row["number"]
    )
    assert (await ticket(desk, row["id"]))["assignee_id"] == ZHANG


# --- 3: one estate rule everywhere --------------------------------------------------------


async def test_open_lists_only_tickets_in_the_supervisors_estates(
    estates: Desk, fake: FakeBotApi
) -> None:
    row = await file_ticket(estates, fake.user(4511, language_code="en"))  # Harbour View
    estates.clock.advance(days=1)  # long past the accept deadline: /open lists it
    z = zh(estates)
    li = fake.user(LI_SUP)
    await li.command("/open")
    listed = await expect(li, z.t("staff.open_title", count=1))
    assert row["number"] in (listed.text or "")
    for who in (EL_SUP, EL_MANAGER):
        supervisor = fake.user(who)
        await supervisor.command("/open")
        await expect(supervisor, z.t("staff.open_empty"))


async def test_ticket_command_keeps_a_supervisor_without_departments_to_their_estates(
    estates: Desk, fake: FakeBotApi
) -> None:
    z = zh(estates)
    harbour = await file_ticket(estates, fake.user(4512, language_code="en"))
    emerald = await file_ticket(
        estates, fake.user(4513, language_code="en"), estate="emerald_lake", building="B"
    )
    for who in (EL_MANAGER, EL_SUP):
        supervisor = fake.user(who)
        await supervisor.command("/ticket", harbour["number"])
        await expect(supervisor, z.t("staff.ticket_usage"))
        await supervisor.command("/ticket", emerald["number"])
        await expect(supervisor, z.t("ticket.details_title", number=emerald["number"]))


async def _resolved_and_rated_badly(desk: Desk, fake: FakeBotApi, owner: Any) -> dict[str, Any]:
    """A Harbour View ticket: accepted, resolved, and rated 1 star (opens a follow-up)."""
    z = zh(desk)
    row = await file_ticket(desk, owner)
    wang = fake.user(WANG)
    card = await card_of(wang, row["number"])
    await wang.press(z.t("card.btn_accept"), message_id=card.message_id)
    await wang.wait_for_edit(card.message_id)
    await wang.press(z.t("card.btn_resolve"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_result", number=row["number"]))
    await wang.send("Valve replaced")
    await expect(wang, z.t("staff.ask_result_photo"))
    await wang.press(z.t("flow.btn_no_photos"))
    await expect(wang, z.t("staff.resolve_summary", number=row["number"]))
    await wang.press(z.t("flow.btn_submit"))
    await expect(owner, "Valve replaced")
    survey = (await desk.rows("SELECT id FROM surveys WHERE ticket_id = ?", row["id"]))[0]["id"]
    # The survey's send time is a day away on this clock: it counts as sent now.
    await desk.execute("UPDATE surveys SET status = 'sent', sent_at = due_at WHERE id = ?", survey)
    await owner.press_data(f"s:{survey}:1")
    await expect(owner, Words(desk.settings, "en").t("survey.ask_problems"))
    row["survey"] = survey
    return row


async def test_followup_reaches_and_is_closed_only_by_supervisors_of_the_estate(
    estates: Desk, fake: FakeBotApi
) -> None:
    z = zh(estates)
    owner = fake.user(4514, first_name="Meiling", language_code="en")
    row = await _resolved_and_rated_badly(estates, fake, owner)
    # 李工 (maintenance, every estate) gets the follow-up with the owner's name ...
    followup = await fake.user(LI_SUP).wait_for_message(
        lambda m: row["number"] in (m.text or "") and z.t("survey.btn_called") in m.labels
    )
    assert "Meiling" in (followup.text or "")
    await estates.outbox_settled()
    # ... the Emerald Lake supervisor does not.
    el_sup = fake.user(EL_SUP)
    assert not any(row["number"] in (m.text or "") for m in el_sup.messages)
    # Nor can they close or reopen it with a forged press.
    await el_sup.command("/help")
    await el_sup.wait_for_message()
    for action in ("done", "reopen"):
        await el_sup.press_data(f"v:{row['survey']}:{action}")
        assert (await el_sup.wait_callback_answer()).text == z.t("refusal.other_estate")
    survey = (await estates.rows("SELECT * FROM surveys WHERE id = ?", row["survey"]))[0]
    assert survey["followup_status"] == "open"
    assert (await ticket(estates, row["id"]))["status"] == "resolved"
    # 李工 may: "called back" asks how it went, in one line, for the timeline.
    li = fake.user(LI_SUP)
    await li.press(z.t("survey.btn_called"), message_id=followup.message_id)
    await expect(li, z.t("survey.ask_outcome", number=row["number"]))
    await li.send("已电话沟通，业主同意明早复查")
    await expect(li, z.t("survey.followup_done", number=row["number"]))
    assert (await ticket(estates, row["id"]))["status"] == "closed"
    done = await estates.rows(
        "SELECT actor_id, data FROM ticket_events WHERE ticket_id = ? AND kind = ?",
        row["id"],
        "followup_done",
    )
    assert len(done) == 1 and done[0]["actor_id"] == LI_SUP
    assert "业主同意明早复查" in str(done[0]["data"])
    # The one card says so (edited in place, no buttons left) ...
    card = await li.wait_for_edit(followup.message_id)
    assert z.t("followup.state_done", outcome="已电话沟通，业主同意明早复查") in (card.text or "")
    assert card.labels == []
    # ... and a reply to it still reaches the owner, though the ticket is closed.
    await li.reply_to(followup.message_id, "明早9点师傅上门复查，麻烦您在家。")
    await expect(li, z.t("staff.reply_sent", number=row["number"]))
    said = await expect(owner, "明早9点师傅上门复查")
    assert row["number"] in (said.text or "")
    replies = await estates.rows(
        "SELECT id FROM ticket_events WHERE ticket_id = ? AND kind = ?",
        row["id"],
        "followup_reply",
    )
    assert len(replies) == 1


# --- 4: the bot never speaks in a group unasked ---------------------------------------------


def low_message_limit(data: dict[str, Any]) -> None:
    """Five messages a minute (the least allowed), so a flood is quick to type."""
    data["limits"]["messages_per_minute"] = 5


async def test_strangers_in_a_group_get_no_answer_there_and_keep_their_allowance(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    desk = Desk(fake, tmp_path, edit=low_message_limit)
    await desk.start()
    try:
        stranger = fake.user(4521, language_code="en")
        in_group = fake.group(GROUP).member(stranger)
        for i in range(8):
            await in_group.send(f"hello {i}")
        for command in ("/start", "/new", "/my", "/queue", "/open", "/ticket HV-1", "/stats"):
            await in_group.send(command)
        await in_group.wait_idle()
        assert fake.group(GROUP).messages == []
        # Their private chat is theirs still: the group chatter did not use it up.
        await stranger.command("/help")
        await expect(stranger, "How it works")
    finally:
        await desk.stop()


async def test_a_failed_press_in_a_group_is_answered_by_toast_only(
    desk: Desk, fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.tg.staff import StaffDesk

    row = await file_ticket(desk, fake.user(4522, language_code="en"))
    in_group = fake.group(GROUP).member(fake.user(ZHANG))
    card = await card_of(in_group, row["number"])
    before = len(fake.group(GROUP).messages)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug behind the button")

    monkeypatch.setattr(StaffDesk, "on_card", broken)
    await in_group.press(zh(desk).t("card.btn_accept"), message_id=card.message_id)
    answer = await in_group.wait_callback_answer()
    assert answer.text == zh(desk).t("error.generic")
    await in_group.wait_idle()
    assert len(fake.group(GROUP).messages) == before


# --- 5: what a card shows, and to whom --------------------------------------------------------


def _preview_off(record: Any) -> bool:
    options = record.params.get("link_preview_options")
    if isinstance(options, str):
        options = json.loads(options)
    return isinstance(options, dict) and options.get("is_disabled") is True


async def test_group_card_shows_no_owner_flat_or_photos(desk: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(4531, first_name="Meiling", language_code="en")
    row = await file_ticket(desk, owner, photo=True, description="See http://example.com/leak")
    group = fake.group(GROUP)
    zhang = group.member(fake.user(ZHANG))
    group_card = await card_of(zhang, row["number"])
    private = await card_of(fake.user(WANG), row["number"])
    assert "1502" in (private.text or "") and "Meiling" in (private.text or "")
    assert any(m.photos for m in fake.user(WANG).messages)
    assert "See http://example.com/leak" in (group_card.text or "")
    assert "1502" not in (group_card.text or "") and "Meiling" not in (group_card.text or "")
    assert not any(m.photos for m in group.messages)
    await zhang.press(zh(desk).t("card.btn_accept"), message_id=group_card.message_id)
    accepted = await zhang.wait_for_edit(group_card.message_id)
    assert "张伟" in (accepted.text or "")
    assert "1502" not in (accepted.text or "") and "Meiling" not in (accepted.text or "")
    await desk.outbox_settled()
    cards = [
        r
        for r in fake.sent
        if r.method in ("sendMessage", "editMessageText", "sendPhoto", "editMessageCaption")
        and (r.text or r.caption or "").endswith(row["number"])  # a card's last line
    ]
    assert {r.chat_id for r in cards} == {GROUP, WANG, ZHANG}  # ZHANG: his own, once taken
    # A staff member's card is the caption of the owner's photo; the group's is text only.
    assert {r.chat_id for r in cards if r.method == "sendPhoto"} == {WANG, ZHANG}
    texts = [r for r in cards if r.method in ("sendMessage", "editMessageText")]
    assert texts and all(_preview_off(r) for r in texts), [r.params for r in texts]


async def test_a_card_the_ticket_has_left_says_so_once(desk: Desk, fake: FakeBotApi) -> None:
    owner, wang, liu = fake.user(4532, language_code="en"), fake.user(WANG), fake.user(LIU)
    z = zh(desk)
    row = await file_ticket(desk, owner)
    card = await card_of(wang, row["number"])
    await wang.press(z.t("card.btn_transfer"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_transfer_target", number=row["number"]))
    await wang.press("刘海涛")
    await expect(wang, z.t("staff.ask_transfer_reason"))
    await wang.send("Liu knows this pump")
    await expect(wang, z.t("staff.transferred", number=row["number"]))
    left = await wang.wait_for_edit(card.message_id)
    assert left.labels == [] and left.text == z.t("card.left", number=row["number"])
    new_card = await card_of(liu, row["number"])
    await liu.press(z.t("card.btn_accept"), message_id=new_card.message_id)
    await liu.wait_for_edit(new_card.message_id)
    await desk.outbox_settled()
    still = next(m for m in wang.messages if m.message_id == card.message_id)
    assert still.text == left.text and still.edits == left.edits  # not touched again
    # Back to him: a fresh card, not the old message brought back to life.
    await liu.press(z.t("card.btn_transfer"), message_id=new_card.message_id)
    await expect(liu, z.t("staff.ask_transfer_target", number=row["number"]))
    await liu.press("王强")
    await expect(liu, z.t("staff.ask_transfer_reason"))
    await liu.send("Harbour View is his")
    fresh = await card_of(wang, row["number"])
    assert fresh.message_id != card.message_id and z.t("card.btn_accept") in fresh.labels


async def test_the_group_card_of_a_department_the_ticket_left_says_so(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    desk = Desk(fake, tmp_path)
    desk.clock.now = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 19:00: the group card's time
    await desk.start()
    try:
        z = zh(desk)
        li = fake.user(LI_SUP)
        row = await file_ticket(desk, fake.user(4533, language_code="en"))
        group_card = await card_of(fake.group(GROUP).member(fake.user(ZHANG)), row["number"])
        card = await card_of(li, row["number"])
        await li.press(z.t("card.btn_transfer"), message_id=card.message_id)
        await expect(li, z.t("staff.ask_transfer_target", number=row["number"]))
        await li.press("秩序维护部")
        await expect(li, z.t("staff.ask_transfer_reason"))
        await li.send("A guard should look at this")
        await expect(li, z.t("staff.transferred", number=row["number"]))
        await desk.outbox_settled()
        now = next(m for m in fake.group(GROUP).messages if m.message_id == group_card.message_id)
        assert now.labels == [] and now.text == z.t("card.left", number=row["number"])
    finally:
        await desk.stop()
