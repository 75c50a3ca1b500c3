"""The guided ``/notice`` (a supervisor on a phone), end to end through the real bot and the
Bot API emulator: one card edited in place, each typed time checked at its step, the same
preview and [Send] [Cancel] as the one-message form, and a restart in the middle.

The clock stands at 2026-11-26 10:00 Shanghai (harness.FakeClock).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import Desk, Words, expect
from tests.test_e2e_notices import LI, NOW, ZHAO, notices_to, seed_owners, until

WANG = 7034518826  # plain staff


class Phone:
    """A sender's thumb: counts the taps and the typed messages."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.taps = 0
        self.typed = 0

    async def tap(self, label: str, message_id: int | None = None) -> None:
        """Tap a button (on the newest message that shows it)."""
        self.taps += 1
        await self.user.press(label, message_id=message_id)

    async def type(self, text: str) -> None:
        """Type a message."""
        self.typed += 1
        await self.user.send(text)


def data_of(user: FakeUser, label: str) -> tuple[int, str]:
    """The message and callback data of a visible button (to press it again later)."""
    for message in reversed(user.messages):
        for row in message.buttons:
            for text, data in row:
                if text == label and data is not None:
                    return message.message_id, data
    raise AssertionError(f"no button {label!r}")


async def card_asks(user: FakeUser, w: Words, key: str, **params: Any) -> Any:
    """Wait until the card (the newest message with buttons) asks the step ``key``."""
    needle = w.t(key, **params)

    def card() -> Any:
        return next((m for m in reversed(user.messages) if m.buttons), None)

    await until(f"the card to ask {key}", lambda: needle in (getattr(card(), "text", "") or ""))
    return card()


async def test_a_supervisor_sends_a_planned_notice_to_two_buildings_from_a_phone(
    desk: Desk, fake: FakeBotApi
) -> None:
    li = fake.user(LI, language_code="zh-hans")
    z = Words(desk.settings, "zh-Hans")
    owners = await seed_owners(
        desk, fake, [(9_400_001, "3", "zh-hans"), (9_400_002, "5", "en"), (9_400_003, "1", "")]
    )
    phone = Phone(li)
    await li.send("/notice")
    # Both ways are told: the guided one below, and the one-message form.
    help_text = await expect(li, z.t("notice.help"))
    assert z.t("notice.form_hint")[:20] in (help_text.text or "")
    card = await card_asks(li, z, "notice.ask_estate")
    await phone.tap(z.estate("harbour_view"))
    await card_asks(li, z, "notice.ask_buildings")
    await phone.tap("▫️ " + z.building("harbour_view", "3"))
    await until("3 picked", lambda: "✅ 3栋" in str(li.last.buttons))
    await phone.tap("▫️ " + z.building("harbour_view", "5"))
    await until("5 picked", lambda: "✅ 5栋" in str(li.last.buttons))
    await phone.tap(z.t("flow.btn_done", count=2))
    await card_asks(li, z, "notice.ask_kind")
    await phone.tap(z.t("notice.ask_kind.planned"))
    await card_asks(li, z, "notice.ask_start")
    await phone.type("明天 9点")
    await card_asks(li, z, "notice.ask_end")
    await phone.tap(z.t("notice.ask_end.h8"))
    await card_asks(li, z, "notice.ask_send")
    await phone.tap(z.t("notice.ask_send.now"))
    await card_asks(li, z, "notice.ask_expires")
    # The card heads each question with the answers so far, on the one message.
    assert li.last.message_id == card.message_id
    head = li.last.text or ""
    # Typed 明天 9点 is the quick button's time; +8 h is read as people say it.
    assert "开始：明天 09:00" in head and "结束：明天（周五） 17:00" in head
    await phone.tap(z.t("notice.ask_expires.default"))
    await card_asks(li, z, "notice.ask_text")
    await phone.type("3栋、5栋 明天 9:00–17:00 停水检修，请提前储水。")
    await card_asks(li, z, "notice.ask_extra_lang")
    await phone.tap(z.t("notice.flow_no_other"))
    preview = await expect(li, z.t("notice.preview_head"))
    assert z.t("notice.field_reach", count=2) in (preview.text or "")

    # The same preview as the one-message form with the same fields.
    form = (
        "/notice\nestate: harbour_view\nbuildings: 3, 5\nkind: planned\nstart: 11-27 09:00\n"
        "end: 11-27 17:00\nsend: now\ntext: 3栋、5栋 明天 9:00–17:00 停水检修，请提前储水。"
    )
    await li.send(form)
    by_form = await expect(li, z.t("notice.preview_head"))
    assert by_form.text == preview.text
    assert by_form.labels == preview.labels == [z.t("notice.btn_send"), z.t("notice.btn_cancel")]

    await phone.tap(z.t("notice.btn_send"), message_id=preview.message_id)
    assert (await li.wait_callback_answer()).text == z.t("notice.press_sending")
    await expect(owners[0], "停水检修")
    await expect(owners[1], "停水检修")  # no English text: the default language's
    await until("the status to say done", lambda: _status_done(li, preview.message_id))
    await owners[2].assert_no_reply()
    assert phone.taps <= 10 and phone.typed == 2, (phone.taps, phone.typed)
    rows = await desk.rows("SELECT status FROM notices ORDER BY id")
    assert [r["status"] for r in rows] == ["active", "draft"]
    assert await desk.rows("SELECT * FROM conversations") == []


def _status_done(user: FakeUser, message_id: int) -> bool:
    found = user.chat.find(message_id)
    return found is not None and "✅" in (found.text or "")


async def test_bad_times_and_texts_are_asked_again_at_their_step(
    desk: Desk, fake: FakeBotApi
) -> None:
    li = fake.user(LI, language_code="zh-hans")
    zhao = fake.user(ZHAO, language_code="zh-hans")
    z = Words(desk.settings, "zh-Hans")
    owners = await seed_owners(desk, fake, [(9_500_001, "3", "en")])
    await li.send("/notice")
    await card_asks(li, z, "notice.ask_estate")
    await li.press(z.estate("harbour_view"))
    await card_asks(li, z, "notice.ask_buildings")
    await li.press("▫️ " + z.building("harbour_view", "3"))
    await until("3 picked", lambda: "✅ 3栋" in str(li.last.buttons))
    await li.press(z.t("flow.btn_done", count=1))
    await card_asks(li, z, "notice.ask_kind")
    old_kind = data_of(li, z.t("notice.ask_kind.emergency"))
    await li.press(z.t("notice.ask_kind.emergency"))
    await card_asks(li, z, "notice.ask_start")

    async def refused(typed: str, said: str, step: str) -> None:
        await li.send(typed)
        await expect(li, said)
        await card_asks(li, z, step)  # the step asked again

    await refused(
        "27/27 9", z.t("notice.err_time", field="start", value="27/27 9"), "notice.ask_start"
    )
    await refused(
        "x" * 10_000, z.t("notice.err_time", field="start", value="x" * 40), "notice.ask_start"
    )
    await li.send("明天 9点")
    await card_asks(li, z, "notice.ask_end")
    await refused("11-26 12:00", z.t("notice.err_end_before_start"), "notice.ask_end")
    await li.press(z.t("flow.btn_skip"))  # no end known
    await card_asks(li, z, "notice.ask_send")
    await refused("09:00", z.t("notice.err_send_past"), "notice.ask_send")  # it is 10:00
    await li.send("今天 18:00")
    await card_asks(li, z, "notice.ask_expires")
    await refused("今天 17:00", z.t("notice.err_send_after_expiry"), "notice.ask_expires")
    await refused("11-25 09:00", z.t("notice.err_expiry_past"), "notice.ask_expires")
    await li.press(z.t("notice.ask_expires.default"))  # a day after the start
    await card_asks(li, z, "notice.ask_text")

    # A sticker and 10,000 characters at the text step: said, asked again, nothing lost.
    await li.send_sticker()
    await expect(li, z.t("flow.unsupported", what=z.t("input.sticker")))
    await card_asks(li, z, "notice.ask_text")
    await li.send("很长" * 5000)
    await expect(li, z.t("notice.err_too_long", count=10_000, limit=3000))
    kept = await card_asks(li, z, "notice.ask_text")
    assert "明天 09:00" in (kept.text or "")  # the answers so far are kept

    # Another person's button (pressed in their own chat) and an earlier step's button.
    card_id, data = data_of(li, z.t("flow.btn_cancel"))
    await zhao.send("你好")
    await zhao.wait_idle()
    await zhao.press_data(data, message_id=zhao.messages[-1].message_id)
    assert (await zhao.wait_callback_answer()).text == z.t("flow.stale_conversation")
    await li.press_data(old_kind[1], message_id=card_id)
    assert (await li.wait_callback_answer()).text == z.t("flow.stale_button")
    # A forged step name travels nowhere either.
    await li.press_data(data.replace(":text:", ":zzz:"), message_id=card_id)
    await li.wait_callback_answer()
    await card_asks(li, z, "notice.ask_text")

    await li.send("明天 9:00 起 3栋紧急停水。")
    await card_asks(li, z, "notice.ask_extra_lang")
    await li.press(z.t("notice.flow_lang.en"))
    await card_asks(li, z, "notice.ask_text_extra")
    await li.send("Water off in block 3 from 9:00 tomorrow.")
    preview = await expect(li, z.t("notice.preview_head"))
    text = preview.text or ""
    assert z.t("notice.kind_emergency") in text and z.t("notice.also_in", languages="en") in text
    await li.press(z.t("notice.btn_send"), message_id=preview.message_id)
    assert (await li.wait_callback_answer()).text == z.t("notice.press_scheduled")
    await owners[0].assert_no_reply()
    desk.clock.advance(hours=8, minutes=1)
    await expect(owners[0], "Water off in block 3", wait=10)

    # /cancel ends a guided notice; nothing is stored.
    await li.send("/notice")
    await card_asks(li, z, "notice.ask_estate")
    await li.send("/cancel")
    await expect(li, z.t("flow.cancelled_long"))
    assert await desk.rows("SELECT * FROM conversations") == []
    assert len(await desk.rows("SELECT id FROM notices")) == 1
    # /notice help: the recent notices and both ways, no conversation started.
    await li.send("/notice help")
    told = await expect(li, z.t("notice.help"))
    assert z.t("notice.recent_head") in (told.text or "") and not told.buttons
    await li.wait_idle()
    assert await desk.rows("SELECT * FROM conversations") == []


async def test_a_guided_notice_survives_restarts_and_skips_the_only_estate(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    def only_harbour(data: dict[str, Any]) -> None:
        for member in data["staff"]:
            if member["telegram_id"] == ZHAO:
                member["estates"] = ["harbour_view"]

    desk = Desk(fake, tmp_path, edit=only_harbour)
    await desk.start()
    try:
        zhao = fake.user(ZHAO, language_code="en")
        e = Words(desk.settings, "en")
        owners = await seed_owners(desk, fake, [(9_600_001, "2", "en"), (9_600_002, "6", "zh-hk")])
        wang = fake.user(WANG, language_code="zh-hans")
        await wang.send("/notice")  # plain staff: refused, no conversation
        await expect(wang, Words(desk.settings, "zh-Hans").t("notice.refused_not_manager"))

        await desk.execute(  # he chose English (/language): the English catalog, end to end
            "INSERT INTO users (telegram_id, first_name, language_code, language, created_at,"
            f" updated_at) VALUES ({ZHAO}, 'Zhao', 'zh-hans', 'en', '{NOW}', '{NOW}')"
        )
        await zhao.send("/notice")
        card = await card_asks(zhao, e, "notice.ask_buildings")  # one estate: not asked
        await zhao.press("▫️ " + e.t("notice.flow_all"))
        await until("all picked", lambda: "✅ 🏘" in str(zhao.last.buttons))
        await zhao.press(e.t("flow.btn_done", count=1))
        await card_asks(zhao, e, "notice.ask_kind")
        await zhao.press(e.t("notice.ask_kind.emergency"))
        await card_asks(zhao, e, "notice.ask_start")
        await zhao.press(e.t("notice.flow_now"))
        await card_asks(zhao, e, "notice.ask_end")
        await desk.restart()
        await zhao.press(e.t("notice.ask_end.h2"), message_id=card.message_id)
        await card_asks(zhao, e, "notice.ask_send")
        await zhao.press(e.t("notice.ask_send.now"))
        await card_asks(zhao, e, "notice.ask_expires")
        await zhao.press(e.t("notice.ask_expires.default"))
        await card_asks(zhao, e, "notice.ask_text")
        await desk.restart()
        await zhao.send("Lifts in every block stopped: engineers on site.")
        await card_asks(zhao, e, "notice.ask_extra_lang")
        await zhao.press(e.t("notice.flow_no_other"))
        preview = await expect(zhao, e.t("notice.preview_head"))
        assert e.t("notice.scope_all", estate=e.estate("harbour_view")) in (preview.text or "")
        await zhao.press(e.t("notice.btn_send"), message_id=preview.message_id)
        await zhao.wait_callback_answer()
        await expect(owners[0], "Lifts in every block stopped")
        hant = await expect(owners[1], "Lifts in every block stopped")
        assert (hant.text or "").startswith("🚨")
        assert len(notices_to(owners[0], "🚨")) == 1
    finally:
        await desk.stop()


async def test_a_send_time_passed_while_typing_asks_that_step_again(
    desk: Desk, fake: FakeBotApi
) -> None:
    li = fake.user(LI, language_code="zh-hans")
    z = Words(desk.settings, "zh-Hans")
    await li.send("/notice")
    await card_asks(li, z, "notice.ask_estate")
    await li.press(z.estate("harbour_view"))
    await card_asks(li, z, "notice.ask_buildings")
    await li.press("▫️ " + z.t("notice.flow_all"))
    await until("all picked", lambda: "✅ 🏘" in str(li.last.buttons))
    await li.press(z.t("flow.btn_done", count=1))
    await card_asks(li, z, "notice.ask_kind")
    await li.press(z.t("notice.ask_kind.planned"))
    await card_asks(li, z, "notice.ask_start")
    await li.send("明天 9点")
    await card_asks(li, z, "notice.ask_end")
    await li.press(z.t("flow.btn_skip"))
    await card_asks(li, z, "notice.ask_send")
    await li.send("10:30")  # half an hour from now
    await card_asks(li, z, "notice.ask_expires")
    await li.press(z.t("notice.ask_expires.default"))
    await card_asks(li, z, "notice.ask_text")
    await li.send("明天全小区停水。")
    await card_asks(li, z, "notice.ask_extra_lang")
    desk.clock.advance(hours=1)  # the sender was called away
    await li.press(z.t("notice.flow_no_other"))
    await expect(li, z.t("notice.err_send_past"))
    again = await card_asks(li, z, "notice.ask_send")  # on a fresh card, the rest kept
    assert "明天全小区停水" in (again.text or "")
    await li.press(z.t("notice.ask_send.now"))
    await card_asks(li, z, "notice.ask_expires")  # it depends on the send time: asked again
    await li.press(z.t("notice.ask_expires.default"))
    await card_asks(li, z, "notice.ask_extra_lang")
    await li.press(z.t("notice.flow_no_other"))
    preview = await expect(li, z.t("notice.preview_head"))
    assert z.t("notice.send_now") in (preview.text or "")
    assert len(await desk.rows("SELECT id FROM notices")) == 1

    # A typed form while a guided notice is in progress replaces it.
    await li.send("/notice")
    await card_asks(li, z, "notice.ask_estate")
    assert len(await desk.rows("SELECT * FROM conversations")) == 1
    await li.send(
        "/notice\nestate: harbour_view\nbuildings: all\nkind: emergency\ntext: 全小区紧急停电。"
    )
    await expect(li, z.t("notice.preview_head"))
    assert await desk.rows("SELECT * FROM conversations") == []
