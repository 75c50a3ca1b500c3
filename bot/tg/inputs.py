"""Turning an incoming Telegram message into a flow event."""

from __future__ import annotations

from telegram import Message

from bot.core.runner import Event, OtherInput, PhotoInput, TextInput

# Message attributes we recognise but cannot use in a flow, in the order they are checked.
_OTHER_KINDS = (
    "sticker",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "game",
)


def event_of(message: Message) -> Event:
    """The flow event a message stands for; forwards and unknown content become OtherInput."""
    if message.forward_origin is not None:
        return OtherInput("forward")
    if message.photo:
        # Telegram sends several sizes of one photo; the last is the largest.
        return PhotoInput(message.photo[-1].file_id, message.caption or "")
    if message.text is not None:
        return TextInput(message.text)
    for kind in _OTHER_KINDS:
        if getattr(message, kind, None):
            return OtherInput(kind)
    return OtherInput("other")
