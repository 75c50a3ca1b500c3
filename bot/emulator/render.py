"""Readable text dumps of chats and recent API errors, for failing assertions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .markup import keyboard_labels

if TYPE_CHECKING:
    from .state import BotState, ChatState, StoredMessage


def render_message(msg: StoredMessage, bot_name: str = "bot") -> str:
    """Return one message as ``#id sender: text [buttons]`` lines."""
    sender = bot_name if msg.from_bot else str(msg.data.get("from", {}).get("first_name", "?"))
    flags = []
    if msg.edits:
        flags.append(f"edited {len(msg.edits)}x")
    if msg.deleted:
        flags.append("deleted")
    if msg.kind != "text":
        flags.append(msg.kind)
    head = f"  #{msg.message_id} {sender}" + (f" ({', '.join(flags)})" if flags else "") + ": "
    body = (msg.text or "").replace("\n", "\n      ")
    lines = [head + body]
    for row in (msg.markup or {}).get("inline_keyboard", []):
        lines.append("      [" + " | ".join(_button(b) for b in row) + "]")
    for labels in keyboard_labels(msg.markup):
        lines.append("      keyboard: (" + " | ".join(labels) + ")")
    return "\n".join(lines)


def _button(button: dict[str, object]) -> str:
    if "callback_data" in button:
        return f"{button['text']} -> {button['callback_data']}"
    kind = next((k for k in button if k != "text"), "?")
    return f"{button['text']} ({kind} {button.get(kind, '')})".replace(" True)", ")")


def render_chat(chat: ChatState, last: int = 10) -> str:
    """Return the last messages of a chat, oldest first."""
    title = chat.chat.get("title") or chat.chat.get("first_name")
    head = f"chat {chat.id} ({chat.chat['type']}, {title}{', BLOCKED' if chat.blocked else ''})"
    messages = list(chat.messages.values())[-last:]
    if not messages:
        return head + ": no messages"
    return head + ":\n" + "\n".join(render_message(m) for m in messages)


def render_state(bot: BotState, chat_id: int | None = None) -> str:
    """Return a chat dump plus update-queue and API-error summaries."""
    parts: list[str] = []
    chat = bot.chats.get(chat_id) if chat_id is not None else None
    if chat is not None:
        parts.append(render_chat(chat))
    parts.append(
        f"updates: {bot.pending_count()} unconfirmed, {bot.undelivered_count()} not fetched"
    )
    if bot.errors:
        parts.append("recent API errors:")
        parts.extend(f"  {c.method} -> {c.status} {c.description}" for c in list(bot.errors)[-8:])
    return "\n".join(parts)
