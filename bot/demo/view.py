"""What the page shows of a chat: the emulator's messages as plain JSON, current content."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.emulator.markup import inline_buttons
from bot.emulator.state import ChatState, StoredMessage

JSON = dict[str, Any]
SNIPPET = 80


def _largest_photo(data: JSON) -> str | None:
    sizes = data.get("photo")
    if not sizes:
        return None
    return str(max(sizes, key=lambda s: s.get("width", 0) * s.get("height", 0))["file_id"])


def _snippet(data: JSON) -> str:
    text = str(data.get("text") or data.get("caption") or "")
    if not text and data.get("photo"):
        return "🖼"
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def message_view(msg: StoredMessage, tz: ZoneInfo) -> JSON:
    """One message as the page draws it; buttons by label only (the server keeps the data)."""
    data = msg.data
    sender = data.get("from") or {}
    reply = data.get("reply_to_message")
    sticker = data.get("sticker")
    when = datetime.fromtimestamp(int(data.get("date", 0)), UTC).astimezone(tz)
    return {
        "id": msg.message_id,
        "bot": msg.from_bot,
        "who": str(sender.get("first_name", "")),
        "text": data.get("text", data.get("caption")),
        "entities": data.get("entities", data.get("caption_entities", [])),
        "photo": _largest_photo(data),
        "sticker": sticker.get("emoji") if isinstance(sticker, dict) else None,
        "contact": (data.get("contact") or {}).get("phone_number"),
        "buttons": [[label for label, _ in row] for row in inline_buttons(msg.markup)],
        "reply": {"id": reply["message_id"], "text": _snippet(reply)} if reply else None,
        "edited": bool(msg.edits),
        "time": when.strftime("%H:%M"),
    }


def _used(chat: ChatState, msg: StoredMessage, rows: list[list[JSON]]) -> bool:
    """True when the person answered a one-time keyboard with one of its buttons after it."""
    labels = {b["text"] for row in rows for b in row}
    contact = any(b["contact"] for row in rows for b in row)
    for later in chat.messages.values():
        if later.from_bot or later.message_id <= msg.message_id:
            continue
        if later.data.get("text") in labels or (contact and "contact" in later.data):
            return True
    return False


def reply_keyboard(chat: ChatState) -> list[list[JSON]]:
    """The reply keyboard the chat shows now (the newest message that set or removed one);
    a one-time keyboard hides once one of its buttons was used, as Telegram's clients do."""
    for msg in reversed(chat.bot_messages(include_deleted=True)):
        markup = msg.markup or {}
        if "keyboard" in markup:
            rows = [
                [
                    {"text": b, "contact": False}
                    if isinstance(b, str)
                    else {"text": str(b["text"]), "contact": bool(b.get("request_contact"))}
                    for b in row
                ]
                for row in markup["keyboard"]
            ]
            if markup.get("one_time_keyboard") and _used(chat, msg, rows):
                return []
            return rows
        if markup.get("remove_keyboard"):
            return []
    return []


def chat_view(chat: ChatState, tz: ZoneInfo) -> JSON:
    """A chat's visible messages, oldest first, and its reply keyboard."""
    messages = [m for m in chat.messages.values() if not m.deleted]
    return {
        "id": chat.id,
        "messages": [message_view(m, tz) for m in messages],
        "keyboard": reply_keyboard(chat),
    }


def button_data(msg: StoredMessage, row: int, col: int) -> tuple[str, str | None] | None:
    """The (label, callback data) of a button by its place, or None if it is not there."""
    rows = inline_buttons(msg.markup)
    if not (0 <= row < len(rows) and 0 <= col < len(rows[row])):
        return None
    return rows[row][col]
