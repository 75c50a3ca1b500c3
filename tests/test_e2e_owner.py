"""Owner commands, bad input and forged buttons, end to end against the fake Bot API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect


async def _to_description(user: Any, w: Words) -> None:
    """/new → noise in a common area of the estate grounds → routine → the description step."""
    await user.command("/new")
    await expect(user, w.t("intake.ask_category"))
    await user.press(w.category("noise"))
    await expect(user, w.t("intake.ask_where"))
    await user.press(w.t("intake.ask_where.common"))
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await expect(user, w.t("intake.ask_area_building"))
    await user.press(w.t("intake.estate_grounds"))
    await expect(user, w.t("intake.ask_area"))
    await user.press(w.area("hv-garden"))
    await expect(user, w.t("intake.ask_detail"))
    await user.send("by the fountain")
    await expect(user, w.t("intake.ask_urgency"))
    await user.press(w.urgency("routine"))
    await expect(user, w.t("intake.ask_description"))


async def _state(desk: Desk) -> str:
    rows = await desk.rows("SELECT state FROM conversations")
    assert len(rows) == 1
    return str(rows[0]["state"])


async def test_bad_input_mid_flow_keeps_the_owner_where_they_were(
    desk: Desk, fake: FakeBotApi
) -> None:
    user = fake.user(2001, language_code="en")
    w = Words(desk.settings, "en")
    await _to_description(user, w)
    before = await _state(desk)
    for act, answer in (
        (user.send_sticker(), w.t("flow.unsupported", what=w.t("input.sticker"))),
        (user.send_voice(), w.t("flow.unsupported", what=w.t("input.voice"))),
        (user.send_location(31.2, 121.5), w.t("flow.unsupported", what=w.t("input.location"))),
        (user.forward("hello"), w.t("flow.unsupported", what=w.t("input.forward"))),
        (user.send("x" * 10_000), w.t("flow.too_long", length=10_000, max=2000)),
        (user.send("hm"), w.t("flow.too_short", min=5)),
        (user.command("/frobnicate"), w.t("command.unknown")),
    ):
        await act
        await expect(user, answer)
        await expect(user, w.t("intake.ask_description"))  # asked again, nothing else changed
        assert await _state(desk) == before
    # A side command shows what was asked for, then where the owner was.
    await user.command("/my")
    await expect(user, w.t("my.empty"))
    await expect(user, w.t("flow.still_open"))
    await expect(user, w.t("intake.ask_description"))
    await user.command("/help")
    await expect(user, desk.settings.hotline)
    await expect(user, w.t("intake.ask_description"))
    # /new mid-report asks first; Continue keeps the answers.
    await user.command("/new")
    await expect(user, w.t("flow.unfinished"))
    await user.press(w.t("flow.btn_continue"))
    await expect(user, w.t("intake.ask_description"))
    assert await _state(desk) == before
    # A photo at the description step is kept for the photo step, not lost.
    await user.send_photo()
    await expect(user, w.t("flow.photo_kept", count=1, max=5))
    assert '"photos": ["' in await _state(desk)


async def test_stale_and_forged_buttons_are_refused(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(2002, language_code="en")
    w = Words(desk.settings, "en")
    await _to_description(user, w)
    before = await _state(desk)
    token = before.split('"token": "')[1].split('"')[0]
    first_question = user.messages[1]  # the category question, answered long ago
    for data in (
        f"f:{token}:category:o:lift",  # an earlier step of this conversation
        "f:AAAAAAAA:description:o:x",  # a conversation that does not exist
        "t:999",  # someone else's (or no) ticket
        "l:klingon",  # a language we do not have
        "zzz",  # garbage
        "f:" + "x" * 70,  # longer than Telegram allows
    ):
        await user.press_data(data, message_id=first_question.message_id)
        answer = await user.wait_callback_answer()
        assert answer.text, data  # every press is answered, politely
        assert await _state(desk) == before, data
    assert len(await desk.rows("SELECT id FROM tickets")) == 0


async def test_my_tickets_and_details_are_private(desk: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(2003, language_code="en")
    other = fake.user(2004, language_code="en")
    w = Words(desk.settings, "en")
    await _to_description(owner, w)
    await owner.send("Dogs barking all night")
    await expect(owner, w.t("intake.ask_photos", max=5))
    await owner.press(w.t("flow.btn_no_photos"))
    await expect(owner, w.t("intake.summary"))
    await owner.press(w.t("flow.btn_submit"))
    confirmation = await expect(owner, "HV-")
    ticket = (await desk.rows("SELECT id, number FROM tickets"))[0]
    # The confirmation's button opens the details and the timeline.
    await owner.press(w.t("ticket.btn_view"), message_id=confirmation.message_id)
    details = await expect(owner, w.t("ticket.details_title", number=ticket["number"]))
    assert "Dogs barking all night" in (details.text or "")
    assert w.t("event.created") in (details.text or "")
    await owner.command("/my")
    listing = await expect(owner, w.t("my.title", first=1, last=1, total=1))
    assert any(ticket["number"] in label for label in listing.labels)
    # Another owner forging the same button learns nothing.
    await other.command("/start")
    await expect(other, w.settings.text(w.settings.company.name, "en"))
    await other.press_data(f"t:{ticket['id']}")
    answer = await other.wait_callback_answer()
    assert answer.text == w.t("ticket.not_found")
    assert not any(ticket["number"] in (m.text or "") for m in other.messages)


async def test_language_switch_is_remembered_across_restart(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(2005, language_code="en")
    await user.command("/language")
    menu = await expect(user, Words(desk.settings, "en").t("language.choose"))
    await user.press("繁體中文")
    hant = Words(desk.settings, "zh-Hant")
    edited = await user.wait_for_edit(menu.message_id)
    assert edited.text == hant.t("language.set", name="繁體中文")
    await desk.restart()
    await user.command("/new")
    await expect(user, hant.t("intake.ask_category"))


async def test_command_menus_are_registered_per_language(desk: Desk, fake: FakeBotApi) -> None:
    default = [c["command"] for c in fake.commands()]
    assert default == ["start", "new", "my", "cancel", "language", "help"]
    zh = {c["command"]: c["description"] for c in fake.commands("zh")}
    en = {c["command"]: c["description"] for c in fake.commands("en")}
    assert zh["new"] == Words(desk.settings, "zh-Hans").t("command.new")
    assert en["new"] == Words(desk.settings, "en").t("command.new")


async def test_plain_message_without_a_report_gets_the_menu(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(2006, language_code="de")  # a language we do not speak → default
    zh = Words(desk.settings, desk.settings.default_language)
    await user.send("hello?")
    menu = await expect(user, zh.t("start.no_flow"))
    assert zh.t("menu.new") in menu.labels


async def test_the_same_complaint_again_is_refused_politely(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    def strict(data: dict[str, Any]) -> None:
        data["limits"]["identical_per_day"] = 1

    desk = Desk(fake, tmp_path, edit=strict)
    await desk.start()
    try:
        user = fake.user(2007, language_code="en")
        w = Words(desk.settings, "en")
        for attempt in range(2):
            await _to_description(user, w)
            await user.send("Dogs barking all night")
            await expect(user, w.t("intake.ask_photos", max=5))
            await user.press(w.t("flow.btn_no_photos"))
            await expect(user, w.t("intake.summary"))
            await user.press(w.t("flow.btn_submit"))
            if attempt == 0:
                await expect(user, "HV-")
        await expect(user, w.t("limits.identical", hotline=desk.settings.hotline))
        assert len(await desk.rows("SELECT id FROM tickets")) == 1
        assert len(await desk.rows("SELECT chat_id FROM conversations")) == 1  # kept, not lost
    finally:
        await desk.stop()
