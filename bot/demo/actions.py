"""What a trainee does on the page, checked like any client input, then done as that person.

Every request names a persona and what it did; a forged one (an unknown chat, a message that
is gone, a button not on it) gets the key of a clear text back, never a traceback.
"""

from __future__ import annotations

from typing import Any

from bot.demo.personas import Persona
from bot.demo.samples import SAMPLES, is_picture, sample_photo
from bot.demo.session import DemoSession
from bot.demo.view import button_data, reply_keyboard
from bot.emulator.user import Actor

MAX_TEXT = 4096  # what a Telegram client lets one message hold
MAX_CAPTION = 1024  # and one photo's caption
MAX_PHOTO = 10 * 1024 * 1024


class Refused(Exception):
    """The request cannot be done; ``key`` names the page text that says why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _persona(session: DemoSession, body: dict[str, Any]) -> tuple[Persona, Actor]:
    if not session.running:
        raise Refused("err.busy")
    persona = session.persona(str(body.get("persona", "")))
    if persona is None:
        raise Refused("err.persona")
    member = None
    if persona.user_id is None:
        member = session.persona(str(body.get("as", "")))
        if member is None or member.user_id is None or member.role == "owner":
            raise Refused("err.member")
    return persona, session.actor(persona, member)


def _int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused("err.bad_request")
    return value


async def act(session: DemoSession, body: dict[str, Any]) -> None:
    """Do one JSON action: text, start, press, tap, sticker, scan or sample."""
    _, actor = _persona(session, body)
    kind = body.get("action")
    if kind == "text":
        await _text(actor, body)
    elif kind == "start":
        await actor.command("/start")
    elif kind == "press":
        await _press(actor, body)
    elif kind == "tap":
        await _tap(actor, body)
    elif kind == "sticker":
        await actor.send_sticker()
    elif kind == "scan":
        area = str(body.get("area", ""))
        if session.settings.area(area) is None:
            raise Refused("err.area")
        await actor.command("/start", area)  # what the poster's t.me link does (bot.qr)
    elif kind == "sample":
        name = str(body.get("sample", ""))
        if name not in SAMPLES:
            raise Refused("err.bad_request")
        await send_picture(actor, sample_photo(name), _caption(body))
    else:
        raise Refused("err.bad_request")


async def _text(actor: Actor, body: dict[str, Any]) -> None:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Refused("err.text_empty")
    if len(text) > MAX_TEXT:
        raise Refused("err.text_long", count=len(text))
    reply_to = body.get("reply_to")
    if reply_to is None:
        await actor.send(text)
        return
    target = _int(body, "reply_to")
    if actor.chat.find(target) is None:
        raise Refused("err.no_message")
    await actor.reply_to(target, text)


async def _press(actor: Actor, body: dict[str, Any]) -> None:
    message_id = _int(body, "message")
    msg = actor.chat.find(message_id)
    if msg is None or not msg.from_bot:
        raise Refused("err.no_message")
    found = button_data(msg, _int(body, "row"), _int(body, "col"))
    if found is None:
        raise Refused("err.no_button")
    if found[1] is None:
        raise Refused("err.link_button")
    await actor.press_data(found[1], message_id=message_id)


async def _tap(actor: Actor, body: dict[str, Any]) -> None:
    label = body.get("label")
    shown = [b["text"] for row in reply_keyboard(actor.chat) for b in row]
    if not isinstance(label, str) or label not in shown:
        raise Refused("err.no_keyboard_button")
    await actor.tap(label)  # a contact button shares the person's own (made-up) number


def _caption(body: dict[str, Any]) -> str | None:
    caption = body.get("caption")
    if caption is None:
        return None
    if not isinstance(caption, str):
        raise Refused("err.bad_request")
    if len(caption) > MAX_CAPTION:
        raise Refused("err.caption_long", count=len(caption))
    return caption.strip() or None  # a blank caption is no caption, as in Telegram


async def send_picture(actor: Actor, data: bytes, caption: str | None = None) -> None:
    """Send picture bytes as a photo (three sizes, as Telegram makes them), with a caption."""
    if len(data) > MAX_PHOTO:
        raise Refused("err.too_big")
    if not is_picture(data):
        raise Refused("err.not_image")
    sizes = actor.bot.files.new_photo(data)
    await actor.send_photo(file_id=str(sizes[-1]["file_id"]), caption=caption)


async def upload(session: DemoSession, fields: dict[str, Any], data: bytes) -> None:
    """A picture uploaded from the page, sent by the persona the form names (with the form's
    caption)."""
    _, actor = _persona(session, fields)
    caption = _caption(fields)
    await send_picture(actor, data, caption)
