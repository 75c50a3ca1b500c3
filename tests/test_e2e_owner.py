"""Owner commands, bad input and forged buttons, end to end against the fake Bot API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect


async def _to_description(user: Any, w: Words) -> None:
    """/new: the report's first question, what is wrong."""
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))


async def _file(user: Any, w: Words, description: str) -> None:
    """Describe a noise complaint at home, settle the flat, submit and skip the phone."""
    await user.send(description)
    card = await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.building("harbour_view", "1"))
    await user.wait_for_edit(card.message_id)
    await user.send("802")
    await user.wait_for_edit(card.message_id)
    await user.press(w.t("flow.btn_submit"))
    reply = await user.wait_for_message(
        lambda m: w.t("intake.ask_phone") in (m.text or "") or "HV-" in (m.text or "")
    )
    if "HV-" not in (reply.text or ""):
        await user.tap(w.t("flow.btn_skip"))


async def _state(desk: Desk) -> str:
    """The report's saved state, without the id of the message showing it (that moves down
    when the card is shown again)."""
    rows = await desk.rows("SELECT state FROM conversations")
    assert len(rows) == 1
    state = json.loads(rows[0]["state"])
    state.pop("anchor", None)
    return json.dumps(state, ensure_ascii=False)


async def test_bad_input_mid_flow_keeps_the_owner_where_they_were(
    desk: Desk, fake: FakeBotApi
) -> None:
    user = fake.user(2001, language_code="en")
    w = Words(desk.settings, "en")
    await _to_description(user, w)
    before = await _state(desk)
    for act, answer in (
        (user.send_sticker(), w.t("flow.unsupported", what=w.t("input.sticker"))),
        (user.send_voice(), w.t("flow.voice", hotline=desk.settings.hotline)),
        (user.send_location(31.2, 121.5), w.t("flow.unsupported", what=w.t("input.location"))),
        (user.forward("hello"), w.t("flow.unsupported", what=w.t("input.forward"))),
        (user.send("x" * 10_000), w.t("flow.too_long", length=10_000, max=2000)),
        (user.send("hm"), w.t("flow.too_short", min=5)),
        (user.command("/frobnicate"), w.t("command.unknown")),
    ):
        await act
        await expect(user, answer)
        await user.wait_idle()
        assert await _state(desk) == before  # nothing else changed
    # A side command shows what was asked for, then where the owner was.
    await user.command("/my")
    await expect(user, w.t("my.empty"))
    await expect(user, w.t("flow.still_open"))
    await expect(user, w.t("intake.ask_what"))
    await user.command("/help")
    await expect(user, desk.settings.hotline)
    await expect(user, w.t("intake.ask_what"))
    # /new mid-report asks first; Continue keeps the answers.
    await user.command("/new")
    await expect(user, w.t("flow.unfinished"))
    await user.press(w.t("flow.btn_continue"))
    await expect(user, w.t("intake.ask_what"))
    assert '"answers": {"homes": []}' in await _state(desk)
    # A photo without a caption is kept for the report, not lost; the card counts it.
    await user.send_photo()
    await user.wait_idle()
    assert '"photos": ["' in await _state(desk)


async def test_stale_and_forged_buttons_are_refused(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(2002, language_code="en")
    w = Words(desk.settings, "en")
    await _to_description(user, w)
    before = await _state(desk)
    token = before.split('"token": "')[1].split('"')[0]
    first_question = user.messages[0]  # the first question's message
    for data in (
        f"f:{token}:category:o:lift",  # a step this conversation is not at
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
    await _file(owner, w, "Dogs barking all night")
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
    await expect(user, hant.t("intake.ask_what"))


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
            if attempt == 0:
                await _file(user, w, "Dogs barking all night")
                await expect(user, "HV-")
            else:
                await user.send("Dogs barking all night")
                await expect(user, w.t("intake.card_summary"))  # the flat is remembered
                await user.press(w.t("flow.btn_submit"))
        await expect(user, w.t("limits.identical", hotline=desk.settings.hotline))
        assert len(await desk.rows("SELECT id FROM tickets")) == 1
        assert len(await desk.rows("SELECT chat_id FROM conversations")) == 1  # kept, not lost
    finally:
        await desk.stop()
