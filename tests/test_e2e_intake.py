"""An owner files a report end to end: real PTB over HTTP against the fake Bot API server.

Describe first: the owner types what is wrong, the bot proposes the rest on one card edited in
place, and the owner submits. Owner actions (a command, a tap, a typed message, a photo) and
the bot's messages are counted through the fake server.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import Outgoing
from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.reporting import draft

NUMBER = re.compile(r"HV-20261126-\d{4}")
LANG_CODES = {"en": "en", "zh-Hans": "zh-hans", "zh-Hant": "zh-hant"}
LEAKS = {"en": "Water leaking under the kitchen sink", "zh-Hans": "厨房水管漏水了，好急！"}
LEAKS["zh-Hant"] = "廚房漏水呀，好急！"


class Owner:
    """A fake user whose every action is counted."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.actions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)

    async def command(self, *args: Any) -> Any:
        self.actions += 1
        return await self.user.command(*args)

    async def send(self, text: str) -> Any:
        self.actions += 1
        return await self.user.send(text)

    async def send_photo(self, **kwargs: Any) -> Any:
        self.actions += 1
        return await self.user.send_photo(**kwargs)

    async def press(self, label: str, **kwargs: Any) -> Any:
        self.actions += 1
        return await self.user.press(label, **kwargs)

    async def tap(self, label: str) -> Any:
        self.actions += 1
        return await self.user.tap(label)


def bot_messages(fake: FakeBotApi, chat_id: int) -> int:
    """How many messages the bot has sent to a chat (edits not counted)."""
    sends = ("sendMessage", "sendPhoto", "sendMediaGroup")
    return sum(
        1
        for c in fake.calls
        if c.method in sends and c.status == 200 and int(c.params.get("chat_id", 0)) == chat_id
    )


def edits(fake: FakeBotApi, chat_id: int) -> int:
    """How many edits of the bot's messages a chat saw."""
    return sum(
        1
        for c in fake.calls
        if c.method.startswith("editMessage") and int(c.params.get("chat_id", 0)) == chat_id
    )


async def first_report(owner: Owner, w: Words, description: str) -> Any:
    """A first-time owner: /new, the description, estate, building, flat, Submit, phone."""
    await owner.command("/new")
    await expect(owner.user, w.t("intake.ask_what"))
    await owner.send(description)
    card = await expect(owner.user, w.t("intake.ask_estate"))
    await owner.press(w.estate("harbour_view"))
    await owner.user.wait_for_edit(card.message_id)
    await owner.press(w.building("harbour_view", "3"))
    shown = await owner.user.wait_for_edit(card.message_id)
    assert w.t("intake.ask_unit") in (shown.text or "")
    await owner.send("1502")
    shown = await owner.user.wait_for_edit(card.message_id)
    assert w.t("intake.card_summary") in (shown.text or "")
    await owner.press(w.t("flow.btn_submit"))
    await expect(owner.user, w.t("intake.ask_phone"))
    await owner.tap(w.t("flow.btn_share_contact"))
    return await owner.user.wait_for_message(lambda m: bool(NUMBER.search(m.text or "")))


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
async def test_first_report_in_each_language_takes_seven_actions(
    desk: Desk, fake: FakeBotApi, lang: str
) -> None:
    owner = Owner(fake.user(1001, first_name="Mei", language_code=LANG_CODES[lang]))
    w = Words(desk.settings, lang)
    confirmation = await first_report(owner, w, LEAKS[lang])
    assert owner.actions == 7  # /new, one sentence, estate, building, flat, Submit, phone
    # The ask, the card (edited in place), the phone question and the number.
    assert bot_messages(fake, 1001) == 4
    number = NUMBER.search(confirmation.text or "")
    assert number is not None, confirmation.text
    # An emergency's promise is told as a time of today, with the hotline.
    today_by = re.escape(w.t("when.today", time="HH:MM")).replace("HH:MM", r"\d\d:\d\d")
    assert re.search(today_by, confirmation.text or ""), confirmation.text
    assert desk.settings.hotline in (confirmation.text or "")

    rows = await desk.rows("SELECT * FROM tickets")
    assert len(rows) == 1
    ticket = rows[0]
    assert ticket["number"] == number.group(0)
    assert (
        ticket["category"],
        ticket["subcategory"],
        ticket["estate"],
        ticket["building"],
        ticket["unit"],
        ticket["area"],
        ticket["urgency"],
        ticket["status"],
        ticket["language"],
        ticket["department"],
        ticket["assignee_id"],
        ticket["owner_phone"],
    ) == (
        "water_power",
        "burst_pipe",
        "harbour_view",
        "3",
        "1502",
        None,
        "emergency",
        "assigned",
        lang,
        "maintenance",
        7034518826,
        "+15550001001",
    )  # Thursday 10:00: Wang's day shift
    assert ticket["description"] == LEAKS[lang]
    assert ticket["accept_due"] == (desk.clock() + timedelta(minutes=5)).isoformat(
        timespec="microseconds"
    )
    assert await desk.rows("SELECT * FROM conversations") == []
    homes = await desk.rows("SELECT owner_id, estate, building, unit FROM homes")
    assert homes == [{"owner_id": 1001, "estate": "harbour_view", "building": "3", "unit": "1502"}]
    people = await desk.rows("SELECT phone, phone_asked FROM users WHERE telegram_id = 1001")
    assert people == [{"phone": "+15550001001", "phone_asked": 1}]


async def test_returning_owner_files_in_three_actions_and_three_messages(
    desk: Desk, fake: FakeBotApi
) -> None:
    owner = Owner(fake.user(1011, first_name="美玲", language_code="zh-hans"))
    w = Words(desk.settings, "zh-Hans")
    await first_report(owner, w, "厨房水管漏水了")
    await desk.outbox_settled()
    owner.user.mark_read()
    owner.actions, before = 0, bot_messages(fake, 1011)
    await owner.command("/new")
    await expect(owner.user, w.t("intake.ask_what"))
    await owner.send("卫生间水管又漏水，地上都是水")
    card = await expect(owner.user, w.t("intake.card_summary"))
    text = card.text or ""
    # Proposed: the subcategory, its urgency, the remembered home; the safety advice at once.
    assert w.sub("water_power", "burst_pipe") in text
    assert w.urgency("emergency") in text
    assert "海景花园 · 3栋 · 1502" in text
    assert "请先关闭入户总阀" in text and desk.settings.hotline in text
    await owner.press(w.t("flow.btn_submit"))
    confirmation = await owner.user.wait_for_message(lambda m: bool(NUMBER.search(m.text or "")))
    assert owner.actions == 3
    assert bot_messages(fake, 1011) - before == 3
    assert "您仍可继续填写本单" not in (confirmation.text or "")
    rows = await desk.rows("SELECT unit, subcategory, owner_phone FROM tickets ORDER BY id")
    assert rows[-1] == {"unit": "1502", "subcategory": "burst_pipe", "owner_phone": "+15550001011"}


async def test_qr_link_files_in_three_actions(desk: Desk, fake: FakeBotApi) -> None:
    owner = Owner(fake.user(1005, language_code="en"))
    w = Words(desk.settings, "en")
    await desk.execute(
        "INSERT INTO users (telegram_id, first_name, created_at, updated_at, phone_asked)"
        " VALUES (1005, 'Ann', '2026-01-01', '2026-01-01', 1)"
    )  # asked for a phone before, and skipped it
    await owner.command("/start", "hv-3-lifts")
    await expect(owner.user, w.t("intake.ask_what"))
    await owner.send("Someone is trapped in the lift, the alarm rings")
    card = await expect(owner.user, w.t("intake.card_summary"))
    assert w.area("hv-3-lifts") in (card.text or "")
    assert "press the alarm button" in (card.text or "")  # the lift's safety advice
    await owner.press(w.t("flow.btn_submit"))
    await expect(owner.user, "HV-")
    assert owner.actions == 3
    assert bot_messages(fake, 1005) == 3
    rows = await desk.rows(
        "SELECT estate, building, area, unit, subcategory, urgency, owner_phone FROM tickets"
    )
    assert rows == [
        {
            "estate": "harbour_view",
            "building": "3",
            "area": "hv-3-lifts",
            "unit": None,
            "subcategory": "trapped",
            "urgency": "emergency",
            "owner_phone": None,
        }
    ]


async def test_typed_text_partly_matching_an_option_is_taken(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1012, language_code="zh-hant")
    w = Words(desk.settings, "zh-Hant")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("有啲嘢想話你知")  # no keyword: the category is asked
    await expect(user, w.t("intake.ask_category"))
    buttons_before = sum(1 for m in user.messages if m.buttons)
    await user.send("完全唔知講乜")  # matches nothing: said once, without the keyboard again
    refusal = await expect(user, "完全唔知講乜")
    assert not refusal.buttons
    assert sum(1 for m in user.messages if m.buttons) == buttons_before
    await user.send("水電")
    await user.wait_idle()
    assert (await draft(desk, 1012))["step"] == "subcategory"
    await user.send("漏水")  # a part of "爆水管或漏水"
    await user.wait_idle()
    state = await draft(desk, 1012)
    assert state["answers"]["subcategory"] == "burst_pipe"
    card = next(m for m in user.messages if m.message_id == state["anchor"])
    assert "請先關閉單位總水掣" in (card.text or "")  # chosen: the advice shows at once


async def test_edit_place_to_a_common_area(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1002, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("Rubbish left by the ramp")
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("emerald_lake"))
    await user.wait_idle()
    await user.press(w.building("emerald_lake", "B"))
    await user.wait_idle()
    await user.send("B-802")
    await user.wait_idle()
    card = user.last
    assert w.category("cleaning") in (card.text or "")
    await user.press("✏️ " + w.t("field.location"))
    await user.wait_idle()
    await user.press(w.t("intake.place_common"))
    await user.wait_idle()
    await user.press(w.estate("emerald_lake"))
    await user.wait_idle()
    await user.press(w.t("intake.estate_grounds"))
    await user.wait_idle()
    await user.press(w.area("el-carpark"))
    await user.wait_idle()
    await user.press(w.t("flow.btn_skip"))
    await user.wait_idle()
    assert user.last.message_id == card.message_id  # one card, edited in place
    summary = user.last.text or ""
    assert w.area("el-carpark") in summary and "B-802" not in summary
    await user.press("✏️ " + w.t("field.description"))
    await user.wait_idle()
    await user.send("Rubbish and oil by the ramp")
    await user.wait_idle()
    assert "Rubbish and oil by the ramp" in (user.last.text or "")
    await user.press(w.t("flow.btn_submit"))
    await expect(user, w.t("intake.ask_phone"))
    await user.tap(w.t("flow.btn_skip"))
    await expect(user, "HV-")
    rows = await desk.rows("SELECT estate, building, unit, area, description, urgency FROM tickets")
    assert rows == [
        {
            "estate": "emerald_lake",
            "building": None,
            "unit": None,
            "area": "el-carpark",
            "description": "Rubbish and oil by the ramp",
            "urgency": "routine",
        }
    ]
    assert await desk.rows("SELECT * FROM homes") == []  # a common area is not a home
    assert (await desk.rows("SELECT phone_asked FROM users"))[0]["phone_asked"] == 1


async def test_back_keeps_answers(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1003, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("The lift is out of order again")
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await user.wait_idle()
    await user.press(w.t("flow.btn_back"))
    await user.wait_idle()
    state = await draft(desk, 1003)
    assert state["step"] == "estate" and state["answers"]["estate"] == "harbour_view"
    assert state["answers"]["subcategory"] == "out_of_order"


async def test_cancel_asks_first_and_can_be_restored(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1004, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.command("/cancel")  # nothing answered yet: no question
    await expect(user, w.t("flow.cancelled_long"))
    await user.command("/new")
    await user.send("Dogs barking all night")
    await expect(user, w.t("intake.ask_estate"))
    await user.command("/cancel")
    await expect(user, w.t("cancel.confirm", count=4))
    await user.press(w.t("cancel.btn_no"))
    await user.wait_idle()
    assert (await draft(desk, 1004))["step"] == "estate"
    await user.command("/cancel")
    await expect(user, w.t("cancel.confirm", count=4))
    await user.press(w.t("cancel.btn_yes"))
    await expect(user, w.t("cancel.restorable", minutes=30))
    assert await desk.rows("SELECT * FROM conversations") == []
    desk.clock.advance(minutes=29)
    await user.press(w.t("cancel.btn_restore"))
    await expect(user, w.t("intake.ask_estate"))
    state = await draft(desk, 1004)
    assert state["answers"]["description"] == "Dogs barking all night"
    # Cancelled by the card's button, and restored too late.
    await user.press(w.t("flow.btn_cancel"))
    await expect(user, w.t("cancel.restorable", minutes=30))
    desk.clock.advance(minutes=31)
    await user.press(w.t("cancel.btn_restore"))
    await expect(user, w.t("cancel.restore_gone", minutes=30))
    assert await desk.rows("SELECT * FROM conversations") == []
    await user.command("/cancel")
    await expect(user, w.t("cancel.nothing"))
    assert await desk.rows("SELECT * FROM tickets") == []


async def test_voice_and_sticker_get_a_kind_answer(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1013, language_code="zh-hans")
    w = Words(desk.settings, "zh-Hans")
    await user.send_voice()  # no report yet
    await expect(user, w.t("flow.voice", hotline=desk.settings.hotline))
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send_voice()
    await expect(user, w.t("flow.voice", hotline=desk.settings.hotline))
    await user.send_sticker()
    await expect(user, w.t("flow.unsupported", what=w.t("input.sticker")))
    assert (await draft(desk, 1013))["step"] == "description"


async def test_a_photo_with_a_caption_describes_the_problem(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1014, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send_photo(caption="Ceiling damp and mould in the bedroom")
    await expect(user, w.t("intake.ask_estate"))
    state = await draft(desk, 1014)
    assert state["answers"]["description"] == "Ceiling damp and mould in the bedroom"
    assert state["answers"]["subcategory"] == "damp_leak"
    assert len(state["answers"]["photos"]) == 1
    await user.send_photo()  # another, mid-report: counted on the card
    await user.wait_idle()
    assert w.t("flow.photos_summary", count=2) in (user.last.text or "")


async def test_deep_link_unknown_is_explained(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1006, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/start", "no-such-place")
    await expect(user, w.t("start.unknown_link"))
    assert await desk.rows("SELECT * FROM conversations") == []


async def test_restart_mid_flow_resumes_with_answers(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1007, language_code="zh-hant")
    w = Words(desk.settings, "zh-Hant")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("成棟樓都停水")
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await user.wait_idle()
    await desk.restart()
    # The card's buttons still work after the restart.
    await user.press(w.building("harbour_view", "2"))
    await user.wait_idle()
    await user.send("2-301")
    await user.wait_idle()
    await desk.restart()
    await user.press(w.t("flow.btn_submit"))
    await expect(user, w.t("intake.ask_phone"))
    await desk.restart()
    await user.tap(w.t("flow.btn_skip"))
    await expect(user, "HV-")
    rows = await desk.rows("SELECT subcategory, building, unit, urgency, description FROM tickets")
    assert rows == [
        {
            "subcategory": "no_water",
            "building": "2",
            "unit": "2-301",
            "urgency": "emergency",
            "description": "成棟樓都停水",
        }
    ]


async def _to_summary(user: Any, w: Words) -> None:
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("Pipe burst under the sink")
    card = await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.building("harbour_view", "3"))
    await user.wait_for_edit(card.message_id)
    await user.send("1502")
    summary = await user.wait_for_edit(card.message_id)
    assert w.t("intake.card_summary") in (summary.text or "")


async def test_submit_twice_opens_one_ticket(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1008, language_code="en")
    w = Words(desk.settings, "en")
    await desk.execute(
        "INSERT INTO users (telegram_id, first_name, created_at, updated_at, phone, phone_asked)"
        " VALUES (1008, 'Bo', '2026-01-01', '2026-01-01', '+852 5555 0000', 1)"
    )
    await _to_summary(user, w)
    summary = user.last
    data = summary.data_for(w.t("flow.btn_submit"))
    await user.press_data(data, message_id=summary.message_id)
    await user.press_data(data, message_id=summary.message_id)
    await expect(user, "HV-")
    await user.wait_idle()
    rows = await desk.rows("SELECT owner_phone FROM tickets")
    assert rows == [{"owner_phone": "+852 5555 0000"}]  # the phone kept, not asked again
    answers = [a for a in fake.callback_answers if a.text]
    assert any(w.t("flow.stale_conversation") == a.text for a in answers)


async def test_the_ticket_number_does_not_queue_behind_notices_to_others(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """120 notices to other people are queued (over four seconds at Telegram's overall pace);
    the owner who just pressed Submit gets their number at once, not after them.

    At Telegram's own pace: at a test server's (a thousand a second) the 120 notices take a
    tenth of a second, and a loaded machine decides the race instead of the outbox."""
    desk = Desk(fake, tmp_path, telegram_pace=True)
    await desk.start()
    try:
        user = fake.user(1001, first_name="Mei", language_code="en")
        w = Words(desk.settings, "en")
        await desk.execute(
            "INSERT INTO users (telegram_id, first_name, created_at, updated_at, phone_asked)"
            " VALUES (1001, 'Mei', '2026-01-01', '2026-01-01', 1)"
        )
        await _to_summary(user, w)
        others = [fake.user(8_400_000 + i, first_name=f"Other{i}") for i in range(120)]
        await desk.store.enqueue(
            [Outgoing(o.id, f"Notice {i}: water off tomorrow") for i, o in enumerate(others)],
            desk.clock(),
        )
        await user.press(w.t("flow.btn_submit"))
        confirmation = await user.wait_for_message(
            lambda m: bool(NUMBER.search(m.text or "")), timeout=10
        )
        delivered = sum(1 for o in others if o.messages)
        assert delivered < 80, f"the number waited for {delivered} notices"
        assert NUMBER.search(confirmation.text or "")
        await desk.outbox_settled()
        assert all(o.messages for o in others)
        assert len([m for m in user.messages if NUMBER.search(m.text or "")]) == 1
    finally:
        await desk.stop()


async def test_phone_only_own_contact_and_only_on_the_engineers_card(
    desk: Desk, fake: FakeBotApi
) -> None:
    from tests.test_e2e_staff import GROUP, WANG, card_of

    user = fake.user(1015, first_name="Mei", language_code="en")
    w = Words(desk.settings, "en")
    await _to_summary(user, w)
    await user.press(w.t("flow.btn_submit"))
    await expect(user, w.t("intake.ask_phone"))
    await user.send_contact("+1 555 0100", "Someone else", own=False)  # a friend's card
    await expect(user, w.t("flow.contact_not_own"))
    await user.send("12345678")  # typed, not shared: the button is needed
    await expect(user, w.t("flow.contact_use_button"))
    assert await desk.rows("SELECT id FROM tickets") == []
    await user.tap(w.t("flow.btn_share_contact"))
    confirmation = await expect(user, "HV-")
    phone = "+15550001015"
    assert phone not in (confirmation.text or "")
    await desk.outbox_settled()
    row = (await desk.rows("SELECT number, owner_phone FROM tickets"))[0]
    assert row["owner_phone"] == phone
    engineer = await card_of(fake.user(WANG), row["number"])  # Wang reads zh-Hans
    assert f"📞 {phone}" in (engineer.text or "")  # on the owner's line of the card
    group = await card_of(fake.group(GROUP).member(fake.user(WANG)), row["number"])
    assert phone not in (group.text or "")  # never the group's card before acceptance


async def test_phone_changed_from_the_menu(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1016, first_name="Bo", language_code="zh-hant")
    w = Words(desk.settings, "zh-Hant")
    await user.command("/start")
    menu = await user.wait_for_message()
    assert w.t("menu.phone") in menu.labels
    await user.press(w.t("menu.phone"))
    await expect(user, w.t("phone.ask"))
    await user.tap(w.t("flow.btn_share_contact"))
    await expect(user, w.t("phone.saved", phone="+15550001016"))
    rows = await desk.rows("SELECT phone, phone_asked FROM users WHERE telegram_id = 1016")
    assert rows == [{"phone": "+15550001016", "phone_asked": 1}]
    await user.press(w.t("menu.phone"))
    await expect(user, w.t("phone.ask"))
    await user.tap(w.t("flow.btn_skip"))  # Skip keeps the number there is
    await expect(user, w.t("phone.skipped"))
    assert (await desk.rows("SELECT phone FROM users WHERE telegram_id = 1016"))[0]["phone"]
    # Asked once: the next report does not ask again.
    await user.command("/new")
    await user.send("成棟樓都停水")
    await expect(user, w.t("intake.ask_estate"))
    state = await draft(desk, 1016)
    assert state["answers"]["phone"] == "+15550001016" and "phone" in state["locked"]


async def test_a_flat_not_in_the_unit_register_is_questioned_once(
    desk: Desk, fake: FakeBotApi
) -> None:
    await desk.store.import_units([("harbour_view", "3", "1502"), ("harbour_view", "3", "1503")])
    user = fake.user(1017, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("Pipe burst under the sink")
    card = await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.building("harbour_view", "3"))
    await user.wait_for_edit(card.message_id)
    await user.send("1599")
    building = w.building("harbour_view", "3")
    await expect(user, w.t("intake.unit_unknown", building=building, unit="1599"))
    assert (await draft(desk, 1017))["step"] == "unit"
    await user.send("1599")  # sure: the same flat again is taken
    shown = await user.wait_for_edit(card.message_id)
    assert w.t("intake.card_summary") in (shown.text or "") and "1599" in (shown.text or "")
    # A flat in the register goes through at once (case and spaces aside).
    await user.press("✏️ " + w.t("field.location"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.t("intake.place_new_unit"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.estate("harbour_view"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.building("harbour_view", "3"))
    await user.wait_for_edit(card.message_id)
    await user.send(" 1503 ")
    shown = await user.wait_for_edit(card.message_id)
    assert w.t("intake.card_summary") in (shown.text or "") and "1503" in (shown.text or "")


async def test_a_double_tap_on_the_card_costs_no_message(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1018, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("Pipe burst under the sink")
    card = await expect(user, w.t("intake.ask_estate"))
    data = card.data_for(w.estate("harbour_view"))
    await user.press_data(data, message_id=card.message_id)
    await user.press_data(data, message_id=card.message_id)  # the same button again
    await user.wait_idle()
    assert (await draft(desk, 1018))["step"] == "building"
    answers = [a.text for a in fake.callback_answers if a.text]
    assert w.t("flow.stale_button") in answers
    assert user.last.message_id == card.message_id  # no new message: the card is kept
    assert w.t("intake.ask_building") in (user.last.text or "")
