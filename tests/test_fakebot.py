"""The fake Bot API server works with the real python-telegram-bot stack."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from tests.fakebot import ApiError, Bucket, FakeBotApi, FakeUser, RateLimits
from tests.fakebot.formatting import format_text
from tests.fakebot.params import Params, Upload
from tests.fakebot.schema import Rejection, schema

App = Application[Any, Any, Any, Any, Any, Any]
TOKEN = "123456789:TEST-fake-token"
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ],
        [InlineKeyboardButton("Docs", url="https://example.com/docs")],
    ]
)


async def record_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep every parsed Update so tests can inspect what PTB made of the fake's JSON."""
    context.bot_data.setdefault("updates", []).append(update)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to text with an inline keyboard."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        f"echo: {update.effective_message.text}", reply_markup=KEYBOARD
    )


async def remember_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Collect incoming photo file ids."""
    assert update.effective_message is not None
    context.bot_data.setdefault("photos", []).append(update.effective_message.photo[-1].file_id)


async def send_album(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the collected photos back as one album."""
    assert update.effective_chat is not None
    photos = context.bot_data.get("photos", [])
    await context.bot.send_media_group(
        update.effective_chat.id,
        [InputMediaPhoto(fid, caption=f"#{i}") for i, fid in enumerate(photos)],
    )


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show a reply keyboard asking for the phone number."""
    assert update.effective_message is not None
    keyboard: list[list[str | KeyboardButton]] = [
        [KeyboardButton("Share phone", request_contact=True)],
        ["Help"],
    ]
    await update.effective_message.reply_text("menu", reply_markup=ReplyKeyboardMarkup(keyboard))


async def thank_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Confirm a shared contact."""
    message = update.effective_message
    assert message is not None and message.contact is not None
    await message.reply_text(f"thanks {message.contact.phone_number}")


async def on_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a known button press and edit the message, removing the keyboard."""
    query = update.callback_query
    assert query is not None
    await query.answer(f"you chose {query.data}")
    await query.edit_message_text(f"chosen: {query.data}")


async def on_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reject forged callback data with an alert."""
    assert update.callback_query is not None
    await update.callback_query.answer("unknown button", show_alert=True)
    raise ApplicationHandlerStop


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as srv:
        yield srv
    assert srv.refused() == []  # tests that make bad calls on purpose take them


@pytest.fixture
async def app(server: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(server.url)
        .base_file_url(server.file_url)
        .get_updates_read_timeout(3)
        .read_timeout(2)
        .build()
    )
    application.add_handler(TypeHandler(Update, record_update), group=-1)
    application.add_handler(CommandHandler("album", send_album))
    application.add_handler(CommandHandler("menu", show_menu))
    application.add_handler(MessageHandler(filters.CONTACT, thank_contact))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(MessageHandler(filters.PHOTO, remember_photo))
    application.add_handler(CallbackQueryHandler(on_choice, pattern="^(yes|no)$"))
    application.add_handler(CallbackQueryHandler(on_unknown))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


@pytest.fixture
def li(server: FakeBotApi) -> FakeUser:
    return server.user(1001, "Li", username="li_tenant")


async def test_text_gets_reply_with_buttons(app: App, server: FakeBotApi, li: FakeUser) -> None:
    update = await li.send("hello")
    reply = await li.wait_for_message()
    assert reply.text == "echo: hello"
    assert reply.buttons == [[("Yes", "yes"), ("No", "no")], [("Docs", None)]]
    assert li.button_labels(reply) == ["Yes", "No", "Docs"]
    assert reply.raw["from"]["username"] == "estatedesk_test_bot"
    await server.wait_until_consumed(timeout=3)
    assert server.pending_updates() == 0
    record = server.sent[-1]
    assert (record.method, record.chat_id, record.message_id) == (
        "sendMessage",
        li.id,
        reply.message_id,
    )
    assert reply.message_id == update["message"]["message_id"] + 1
    assert server.stats.calls["getMe"] == 1


async def test_press_answers_and_edits(app: App, server: FakeBotApi, li: FakeUser) -> None:
    await li.send("pick")
    menu = await li.wait_for_message()
    await li.press("Yes")
    answer = await li.wait_callback_answer()
    assert (answer.text, answer.show_alert, answer.data) == ("you chose yes", False, "yes")
    edited = await li.wait_for_edit(menu.message_id)
    assert edited.text == "chosen: yes"
    assert edited.buttons == []
    stored = server.chat_messages(li.id)[-1]
    assert [(e.old_text, e.new_text) for e in stored.edits] == [("echo: pick", "chosen: yes")]
    with pytest.raises(AssertionError, match="Visible buttons"):
        await li.press("Yes")  # the keyboard is gone now


async def test_press_by_partial_label_and_errors(app: App, li: FakeUser) -> None:
    await li.send("one")
    await li.wait_for_message()
    with pytest.raises(AssertionError, match="no callback_data"):
        await li.press("Docs")
    with pytest.raises(AssertionError, match=r"(?s)no button .Maybe.*Yes \| No / Docs"):
        await li.press("Maybe")
    await li.press("Ye")  # unique substring
    assert (await li.wait_callback_answer()).data == "yes"


async def test_forged_callback_data(app: App, li: FakeUser) -> None:
    await li.send("menu")
    menu = await li.wait_for_message()
    await li.press_data("admin:delete_all", message_id=menu.message_id)
    answer = await li.wait_callback_answer()
    assert (answer.text, answer.show_alert) == ("unknown button", True)
    await li.assert_no_reply()
    assert li.last.edits == 0


async def test_reply_keyboard_tap(app: App, li: FakeUser) -> None:
    await li.command("menu")
    await li.wait_for_message()
    assert li.keyboard == [["Share phone"], ["Help"]]
    await li.tap("Share phone")
    thanks = await li.wait_for_message()
    assert thanks.text == "thanks +15550001001"
    await li.tap("Help")
    assert (await li.wait_for_message()).text == "echo: Help"
    with pytest.raises(AssertionError, match="no reply-keyboard button"):
        await li.tap("Nope")


async def test_album_round_trip(app: App, server: FakeBotApi, li: FakeUser) -> None:
    sent = await li.send_album(3, caption="leak")
    await li.wait_idle()
    largest = [u["message"]["photo"][-1]["file_id"] for u in sent]
    assert len({u["message"]["media_group_id"] for u in sent}) == 1
    assert app.bot_data["photos"] == largest
    await li.command("/album")
    album = await li.wait_for_messages(3)
    assert len({m.media_group_id for m in album}) == 1
    assert all(fid in m.photos for fid, m in zip(largest, album, strict=True))
    assert [m.text for m in album] == ["#0", "#1", "#2"]
    assert [r.method for r in server.sent[-3:]] == ["sendMediaGroup"] * 3


async def test_every_user_message_kind_parses(app: App, li: FakeUser) -> None:
    await li.command("/start", "ref42")
    await li.send_sticker()
    await li.send_voice()
    await li.send_location(52.52, 13.40)
    await li.send_contact("+49301234567")
    await li.send_document(file_name="lease.pdf", content=b"%PDF lease")
    await li.forward("forwarded text")
    await li.send("question")
    bot_reply = await li.wait_for_message(lambda m: m.text == "echo: question")
    await li.reply_to(bot_reply.message_id, "answer")
    assert (await li.wait_for_message()).text == "echo: answer"
    li.block()
    await li.wait_idle()
    updates: list[Update] = app.bot_data["updates"]
    messages = [u.message for u in updates if u.message is not None]
    start = messages[0]
    assert start.text == "/start ref42" and start.entities[0].type == "bot_command"
    assert messages[1].sticker is not None and messages[2].voice is not None
    assert messages[3].location is not None and messages[3].location.latitude == 52.52
    assert messages[4].contact is not None and messages[4].contact.user_id == li.id
    assert messages[5].document is not None and messages[5].document.file_name == "lease.pdf"
    assert messages[6].forward_origin is not None
    assert messages[8].reply_to_message is not None
    assert messages[8].reply_to_message.message_id == bot_reply.message_id
    member_update = updates[-1].my_chat_member
    assert member_update is not None and member_update.new_chat_member.status == "kicked"
    assert messages[5].document.file_id
    tg_file = await app.bot.get_file(messages[5].document.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == b"%PDF lease"


async def test_group_member_talks_in_group(app: App, server: FakeBotApi) -> None:
    group = server.group(-1001234567890, "House 7")
    anna = group.member(server.user(2002, "Anna"))
    await anna.send("hi all")
    reply = await anna.wait_for_message()
    assert reply.chat_id == group.id and reply.text == "echo: hi all"
    assert group.last.message_id == reply.message_id
    parsed: Update = app.bot_data["updates"][-1]
    assert parsed.effective_chat is not None and parsed.effective_chat.type == "supergroup"
    assert parsed.effective_user is not None and parsed.effective_user.id == 2002


async def test_forced_429_raises_retry_after(app: App, server: FakeBotApi, li: FakeUser) -> None:
    server.faults.force_429 = 1
    server.faults.force_429_retry_after = 7
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(li.id, "flood")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await app.bot.send_message(li.id, "fine now")
    assert server.stats.forced_429 == 1
    assert [r.text for r in server.sent] == ["fine now"]


async def test_flood_control_per_chat(app: App, server: FakeBotApi, li: FakeUser) -> None:
    server.faults.rate_limits = RateLimits(enabled=True, per_chat=Bucket(1.0, 2))
    await app.bot.send_message(li.id, "1")
    await app.bot.send_message(li.id, "2")
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(li.id, "3")
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert server.stats.flood_429 == 1


async def test_5xx_and_slow_answers(app: App, server: FakeBotApi, li: FakeUser) -> None:
    server.faults.next_5xx = 1
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await app.bot.send_message(li.id, "lost")
    assert server.stats.injected_5xx == 1 and server.sent == []
    server.faults.error_rate_5xx = 1.0
    with pytest.raises(NetworkError):
        await app.bot.send_message(li.id, "lost again")
    server.faults.reset()
    server.faults.next_slow = 1
    server.faults.slow_seconds = 1.0
    with pytest.raises(TimedOut):
        await app.bot.send_message(li.id, "slow", read_timeout=0.3)
    assert [r.text for r in server.sent] == ["slow"]  # delivered even though the client gave up
    assert li.last.text == "slow"


async def test_blocked_and_unknown_chats(app: App, server: FakeBotApi, li: FakeUser) -> None:
    li.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(li.id, "hello?")
    li.unblock()
    await app.bot.send_message(li.id, "welcome back")
    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.send_message(424242, "who?")


async def test_edit_errors(app: App, li: FakeUser) -> None:
    msg: Message = await app.bot.send_message(li.id, "same", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await msg.edit_text("same", reply_markup=KEYBOARD)
    await msg.edit_text("same")  # dropping the keyboard is a change
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await app.bot.edit_message_text("x", chat_id=li.id, message_id=9999)
    await app.bot.edit_message_reply_markup(li.id, msg.message_id, reply_markup=KEYBOARD)
    assert li.last.labels == ["Yes", "No", "Docs"]


async def test_text_limits_and_markup_validation(
    app: App, server: FakeBotApi, li: FakeUser
) -> None:
    await app.bot.send_message(li.id, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await app.bot.send_message(li.id, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await app.bot.send_message(li.id, "   ")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await app.bot.send_message(li.id, "buttons", reply_markup=too_long)
    sent = await app.bot.send_message(li.id, "<b>Bold</b> &amp; done", parse_mode=ParseMode.HTML)
    assert sent.text == "Bold & done" and sent.entities[0].type == "bold"
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await app.bot.send_message(li.id, "1 < 2 <b>open", parse_mode=ParseMode.HTML)
    assert [line.split(":")[:2] for line in server.take_refused()] == [
        ["sendMessage", " text"],
        ["sendMessage", " text"],
        ["sendMessage", " reply_markup.inline_keyboard[0][0].callback_data"],
        ["sendMessage", " text"],
    ]


async def test_bot_settings_recorded(app: App, server: FakeBotApi) -> None:
    bot = app.bot
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("new", "New request")])
    await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
    assert [c["command"] for c in server.commands()] == ["start", "new"]
    assert server.commands("ru") == [{"command": "start", "description": "Начать"}]
    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Начать"]
    await bot.delete_my_commands(language_code="ru")
    assert server.commands("ru") == []
    await bot.set_my_description("Repairs desk", language_code="en")
    assert (await bot.get_my_description(language_code="en")).description == "Repairs desk"
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")
    assert [c.method for c in server.unknown_calls] == ["frobnicate"]
    assert server.take_refused() == [
        "setMyCommands: commands[0].command: BOT_COMMAND_INVALID: 'Bad Command' must be 1-32 of "
        "[a-z0-9_]",
        "frobnicate: -: unknown method 'frobnicate'",
    ]


async def test_wait_timeout_dumps_chat(app: App, li: FakeUser) -> None:
    await li.send("ping")
    await li.wait_for_message()
    await li.send_sticker()  # the bot has no sticker handler
    await li.assert_no_reply()
    with pytest.raises(AssertionError, match=r"(?s)timed out.*#2 bot: echo: ping.*\[Yes -> yes"):
        await li.wait_for_message(timeout=0.2)


async def test_long_poll_returns_early(server: FakeBotApi, li: FakeUser) -> None:
    """Without PTB: a waiting getUpdates answers as soon as an update arrives."""
    async with ClientSession() as http:
        poll = asyncio.create_task(
            http.post(f"{server.url}{TOKEN}/getUpdates", data={"timeout": "10"})
        )
        await asyncio.sleep(0.1)
        start = asyncio.get_running_loop().time()
        update = await li.send("wake up")
        response = await poll
        body = await response.json()
        assert asyncio.get_running_loop().time() - start < 1
        assert [u["update_id"] for u in body["result"]] == [update["update_id"]]
        async with http.post(
            f"{server.url}{TOKEN}/getUpdates",
            json={"offset": update["update_id"] + 1, "timeout": 0},
        ) as again:
            assert (await again.json()) == {"ok": True, "result": []}
    assert server.pending_updates() == 0


def test_parse_modes_follow_telegram() -> None:
    """Entity offsets are UTF-16 units; MarkdownV2 demands escaped reserved characters."""
    text, entities = format_text("🏠 <i>Flat</i> 5", "HTML")
    assert text == "🏠 Flat 5"
    assert entities == [{"type": "italic", "offset": 3, "length": 4}]
    text, entities = format_text(r"*Due* 1\.12\.", "MarkdownV2")
    assert (text, entities[0]["type"]) == ("Due 1.12.", "bold")
    with pytest.raises(ApiError, match=r"Character '\.' is reserved"):
        format_text("Due 1.12.", "MarkdownV2")
    with pytest.raises(ApiError, match="Can't find end tag"):
        format_text("<b>open", "HTML")


# --- the schema check: every call is held to what real Telegram accepts ----------------------


def _check(method: str, uploads: tuple[str, ...] = (), **values: Any) -> Rejection | None:
    """Check a call as PTB sends it: a form whose non-string values are JSON."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    files = {name: Upload(name, "p.jpg", "image/jpeg", b"\xff\xd8") for name in uploads}
    return schema().check(method, Params(form, files))


def _buttons(*rows: int, data: str = "x") -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": f"b{r}.{i}", "callback_data": data} for i in range(n)]
            for r, n in enumerate(rows)
        ]
    }


def test_schema_passes_valid_calls() -> None:
    assert schema().version == "Bot API 10.1"
    valid: list[tuple[str, tuple[str, ...], dict[str, Any]]] = [
        (
            "sendMessage",
            (),
            {
                "chat_id": 1001,
                "text": "<b>" + "x" * 4096 + "</b>",  # 4096 once the tags are parsed
                "parse_mode": "HTML",
                "reply_markup": _buttons(8, 8, data="é" * 32),  # 64 bytes
                "reply_parameters": {"message_id": 5, "allow_sending_without_reply": True},
                "link_preview_options": {"is_disabled": True},
                "disable_notification": True,
            },
        ),
        (
            "sendMessage",
            (),
            {"chat_id": "@estate", "text": "hi", "reply_markup": _buttons(*[8] * 12, 4)},
        ),
        ("sendPhoto", ("photo",), {"chat_id": 1, "caption": "c" * 1024}),
        (
            "sendPhoto",
            (),
            {"chat_id": 1, "photo": "AgADfileid", "reply_markup": {"remove_keyboard": True}},
        ),
        (
            "sendMediaGroup",
            ("a1",),
            {
                "chat_id": 1,
                "media": [
                    {"type": "photo", "media": "attach://a1", "caption": "c" * 1024},
                    {"type": "video", "media": "BAADvideo"},
                ],
            },
        ),
        ("editMessageCaption", (), {"chat_id": 1, "message_id": 2, "reply_markup": _buttons(1)}),
        ("editMessageText", (), {"chat_id": 1, "message_id": 2, "text": "new"}),
        ("answerCallbackQuery", (), {"callback_query_id": "9", "text": "t" * 200}),
        ("getUpdates", (), {"offset": -1, "timeout": 0, "allowed_updates": ["message"]}),
        ("deleteMessages", (), {"chat_id": 1, "message_ids": [1, 2]}),
        ("sendLocation", (), {"chat_id": 1, "latitude": 22.3, "longitude": "114"}),
        (
            "setMyCommands",
            (),
            {
                "commands": [{"command": "a" * 32, "description": "d" * 256}] * 100,
                "scope": {"type": "chat", "chat_id": 1001},
                "language_code": "zh",
            },
        ),
        (
            "setMyCommands",
            (),
            {"commands": [{"command": "new", "description": "New"}], "language_code": ""},
        ),
        (
            "setMyCommands",
            (),
            {
                "commands": [{"command": "x", "description": "x"}],
                "scope": {"type": "all_private_chats"},
            },
        ),
        (
            "sendMessage",
            (),
            {
                "chat_id": 1,
                "text": "k",
                "reply_markup": {
                    "keyboard": [["Help", {"text": "Share", "request_contact": True}]]
                },
            },
        ),
    ]
    for method, uploads, values in valid:
        assert _check(method, uploads, **values) is None, (method, values)


BAD_CALLS: list[tuple[str, tuple[str, ...], dict[str, Any], str, str]] = [
    ("frobnicate", (), {}, "", "unknown method"),
    ("sendMessage", (), {"chat_id": 1, "text": "x", "txt": "y"}, "txt", "unknown parameter"),
    ("sendMessage", (), {"text": "x"}, "chat_id", "required parameter 'chat_id' is missing"),
    (
        "editMessageText",
        (),
        {"chat_id": 1, "message_id": "two", "text": "x"},
        "message_id",
        "expected an Integer",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "protect_content": "maybe"},
        "protect_content",
        "expected a Boolean",
    ),
    (
        "sendLocation",
        (),
        {"chat_id": 1, "latitude": "north", "longitude": 1},
        "latitude",
        "expected a Float",
    ),
    (
        "deleteMessages",
        (),
        {"chat_id": 1, "message_ids": [1, "x"]},
        "message_ids[1]",
        "expected an Integer",
    ),
    ("deleteMessages", (), {"chat_id": 1, "message_ids": "[1,"}, "message_ids", "can't parse"),
    ("sendMessage", ("text",), {"chat_id": 1}, "text", "cannot be uploaded"),
    ("setWebhook", (), {"url": "https://x", "certificate": "cert"}, "certificate", "uploaded file"),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "reply_markup": {"colour": 1}},
        "reply_markup",
        "expected InlineKeyboardMarkup or ReplyKeyboardMarkup or",
    ),
    (
        "sendMessage",
        (),
        {
            "chat_id": 1,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": 5}]]},
        },
        "reply_markup.inline_keyboard[0][0].callback_data",
        "expected a String",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "reply_parameters": {"chat_id": 1}},
        "reply_parameters.message_id",
        "required field",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "link_preview_options": {"is_disabled": "yes"}},
        "link_preview_options.is_disabled",
        "expected a Boolean",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "link_preview_options": {"disabled": True}},
        "link_preview_options.disabled",
        "unknown field",
    ),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "a", "description": "b"}], "scope": {"type": "everyone"}},
        "scope.type",
        "unknown BotCommandScope type",
    ),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "a", "description": "b"}], "scope": {"type": "chat"}},
        "scope.chat_id",
        "required field",
    ),
    (
        "sendMediaGroup",
        (),
        {
            "chat_id": 1,
            "media": [{"type": "sticker", "media": "a"}, {"type": "photo", "media": "b"}],
        },
        "media[0].type",
        "unknown InputMedia type",
    ),
    (
        "sendMediaGroup",
        (),
        {
            "chat_id": 1,
            "media": [
                {"type": "photo", "media": "a", "caption": "c" * 1025},
                {"type": "photo", "media": "b"},
            ],
        },
        "media[0].caption",
        "caption is too long",
    ),
    (
        "sendMediaGroup",
        (),
        {
            "chat_id": 1,
            "media": [{"type": "photo", "media": "attach://nope"}, {"type": "photo", "media": "b"}],
        },
        "media[0].media",
        "no file part",
    ),
    (
        "sendMediaGroup",
        (),
        {
            "chat_id": 1,
            "media": [{"type": "photo", "media": "a"}, {"type": "document", "media": "b"}],
        },
        "media",
        "cannot be one album",
    ),
    (
        "sendMediaGroup",
        (),
        {"chat_id": 1, "media": [{"type": "photo", "media": "a"}]},
        "media",
        "must be 2-10",
    ),
    ("sendPhoto", ("photo", "extra"), {"chat_id": 1}, "extra", "neither a parameter nor attached"),
    ("sendMessage", (), {"chat_id": 1, "text": "   "}, "text", "message text is empty"),
    ("sendMessage", (), {"chat_id": 1, "text": "x" * 4097}, "text", "message is too long: 4097"),
    (
        "editMessageText",
        (),
        {"chat_id": 1, "message_id": 1, "text": "<i>" + "x" * 4097 + "</i>", "parse_mode": "HTML"},
        "text",
        "message is too long: 4097",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "1 < 2", "parse_mode": "HTML"},
        "text",
        "can't parse entities",
    ),
    (
        "sendPhoto",
        (),
        {"chat_id": 1, "photo": "id", "caption": "c" * 1025},
        "caption",
        "caption is too long: 1025",
    ),
    (
        "editMessageCaption",
        (),
        {"chat_id": 1, "message_id": 1, "caption": "c" * 1025},
        "caption",
        "caption is too long",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "reply_markup": _buttons(1, data="é" * 33)},
        "reply_markup.inline_keyboard[0][0].callback_data",
        "BUTTON_DATA_INVALID: 66 bytes",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "reply_markup": _buttons(1, data="")},
        "reply_markup.inline_keyboard[0][0].callback_data",
        "BUTTON_DATA_INVALID: 0 bytes",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "reply_markup": _buttons(*[8] * 12, 5)},
        "reply_markup.inline_keyboard",
        "101 buttons",
    ),
    (
        "editMessageReplyMarkup",
        (),
        {"chat_id": 1, "message_id": 1, "reply_markup": _buttons(2, 9)},
        "reply_markup.inline_keyboard[1]",
        "9 buttons in a row",
    ),
    (
        "sendMessage",
        (),
        {
            "chat_id": 1,
            "text": "x",
            "reply_markup": {
                "inline_keyboard": [[{"text": "a", "url": "https://x", "callback_data": "d"}]]
            },
        },
        "reply_markup.inline_keyboard[0][0]",
        "exactly one of",
    ),
    (
        "sendMessage",
        (),
        {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}},
        "reply_markup.inline_keyboard[0][0]",
        "got none",
    ),
    (
        "sendMessage",
        (),
        {
            "chat_id": 1,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "", "callback_data": "d"}]]},
        },
        "reply_markup.inline_keyboard[0][0].text",
        "BUTTON_TEXT_INVALID",
    ),
    (
        "answerCallbackQuery",
        (),
        {"callback_query_id": "1", "text": "t" * 201},
        "text",
        "MESSAGE_TOO_LONG: 201",
    ),
    ("setMyCommands", (), {"commands": []}, "commands", "must be 1-100"),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "a", "description": "b"}] * 101},
        "commands",
        "BOT_COMMANDS_TOO_MUCH: 101",
    ),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "New", "description": "b"}]},
        "commands[0].command",
        "BOT_COMMAND_INVALID",
    ),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "a" * 33, "description": "b"}]},
        "commands[0].command",
        "BOT_COMMAND_INVALID",
    ),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "a", "description": ""}]},
        "commands[0].description",
        "DESCRIPTION_INVALID: 0",
    ),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "a", "description": "d" * 257}]},
        "commands[0].description",
        "DESCRIPTION_INVALID: 257",
    ),
    (
        "setMyCommands",
        (),
        {"commands": [{"command": "a", "description": "b"}], "language_code": "zh-hans"},
        "language_code",
        "LANG_CODE_INVALID",
    ),
]


@pytest.mark.parametrize(
    ("method", "uploads", "values", "parameter", "reason"),
    BAD_CALLS,
    ids=[f"{i}-{c[0]}-{c[3] or 'method'}" for i, c in enumerate(BAD_CALLS)],
)
def test_schema_rejects(
    method: str, uploads: tuple[str, ...], values: dict[str, Any], parameter: str, reason: str
) -> None:
    rejection = _check(method, uploads, **values)
    assert rejection is not None
    assert (rejection.parameter, reason in rejection.reason) == (parameter, True), rejection


async def test_refused_call_answers_400_and_is_recorded(server: FakeBotApi, li: FakeUser) -> None:
    """Telegram's error body comes back, and the call is kept for conftest's teardown check."""
    markup = json.dumps(_buttons(1, data="d" * 65))
    async with ClientSession() as http:
        async with http.post(
            f"{server.url}{TOKEN}/sendMessage",
            data={"chat_id": str(li.id), "text": "hi", "reply_markup": markup},
        ) as response:
            assert response.status == 400
            body = await response.json()
        async with http.post(f"{server.url}{TOKEN}/sendMessage", json={"chat_id": li.id}) as again:
            assert again.status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: BUTTON_DATA_INVALID: 65 bytes")
    assert server.sent == []  # refused before anything happened
    assert server.take_refused() == [
        "sendMessage: reply_markup.inline_keyboard[0][0].callback_data: BUTTON_DATA_INVALID: "
        f"65 bytes, must be 1-64: {'d' * 65!r}",
        "sendMessage: text: required parameter 'text' is missing",
    ]
    assert server.refused() == []
