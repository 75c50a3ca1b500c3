"""Showing a card flow in a chat: one message edited in place, the phone's reply keyboard."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from telegram import Bot, KeyboardButton, Message, ReplyKeyboardMarkup
from telegram.error import BadRequest

from bot.core.runner import Button, FlowState, Reply
from bot.tg.render import fit, keyboard, reply_rows, send


async def show_contact_ask(bot: Bot, chat_id: int, reply: Reply) -> Message:
    """Ask for the person's own phone with Telegram's share-contact button (and Skip)."""
    assert reply.contact is not None
    share, skip = reply.contact
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton(share, request_contact=True)], [KeyboardButton(skip)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return await bot.send_message(chat_id, fit(reply.text), reply_markup=markup)


async def show_card(
    bot: Bot,
    chat_id: int,
    state: FlowState,
    reply: Reply,
    encode: Callable[[Button], str],
    *,
    fresh: bool,
) -> int | None:
    """Edit the card message in place, or send it (``fresh``, or when it cannot be edited);
    returns the id of a newly sent card, None when the old one was edited."""
    rows = reply_rows(reply, encode)
    if state.anchor is not None and not fresh:
        try:
            await bot.edit_message_text(
                fit(reply.text),
                chat_id=chat_id,
                message_id=state.anchor,
                reply_markup=keyboard(rows),
            )
            return None
        except BadRequest as exc:
            if "not modified" in str(exc):
                return None
            # Deleted, too old, or not ours to edit: the card comes again below.
    if state.anchor is not None:
        await drop_buttons(bot, chat_id, state.anchor)
    sent = await send(bot, chat_id, reply.text, rows)
    return sent.message_id


async def drop_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Take the buttons off an earlier message (so only the card's are live)."""
    # Already without buttons, or gone: nothing to take off.
    with contextlib.suppress(BadRequest):
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
