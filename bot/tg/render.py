"""Turning core replies into Telegram messages and keyboards."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.config import Settings
from bot.core.fitting import CAPTION_LIMIT, TEXT_LIMIT, clip, split
from bot.core.runner import Button, Reply


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """Keep a message within Telegram's length limit (visibly shortened, as a last resort)."""
    return clip(text, limit)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard from rows of (label, callback data); None when there are no rows."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def reply_rows(reply: Reply, encode: Callable[[Button], str]) -> list[list[tuple[str, str]]]:
    """A core reply's buttons as rows of (label, callback data)."""
    return [[(b.label, encode(b)) for b in row] for row in reply.buttons]


async def send(
    bot: Bot, chat_id: int, text: str, rows: Sequence[Sequence[tuple[str, str]]] = ()
) -> Message:
    """Send a text message with an optional inline keyboard; a text over Telegram's limit
    goes as several messages, the keyboard under the last."""
    parts = split(text) or [text]
    for part in parts[:-1]:
        await bot.send_message(chat_id, part)
    return await bot.send_message(chat_id, parts[-1], reply_markup=keyboard(rows))


async def replace_message(
    message: Message | None, text: str, rows: Sequence[Sequence[tuple[str, str]]] = ()
) -> None:
    """Edit a message we sent (e.g. to show what was chosen and drop its buttons)."""
    if message is None:
        return
    try:
        if message.text is None and (message.photo or message.caption is not None):
            # A photo (e.g. a resolution with its picture) has a caption, not a text.
            await message.edit_caption(fit(text, CAPTION_LIMIT), reply_markup=keyboard(rows))
        else:
            await message.edit_text(fit(text), reply_markup=keyboard(rows))
    except BadRequest as exc:
        # Pressing twice edits to the same content, and very old messages cannot be edited:
        # neither is a problem for the person, so the edit is simply skipped.
        if (
            "not modified" not in str(exc)
            and "can't be edited" not in str(exc)
            and "not found" not in str(exc)
        ):
            raise


# How urgent, at a glance, before any word is read.
_MARKS = {"emergency": "🔴", "urgent": "🟠", "routine": "🟢"}


def urgency_mark(settings: Settings, urgency_id: str) -> str:
    """🔴 for an emergency, 🟠 urgent, 🟢 routine; others by their clock and hotline."""
    if urgency_id in _MARKS:
        return _MARKS[urgency_id]
    level = settings.urgency(urgency_id)
    if level is not None and level.show_hotline:
        return "🔴"
    return "🟠" if level is not None and level.clock == "always" else "🟢"
