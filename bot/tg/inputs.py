"""Turning an incoming Telegram message into a flow event."""

from __future__ import annotations

from telegram import Message

from bot.core.runner import ContactInput, Event, OtherInput, PhotoInput, TextInput

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
    if message.contact is not None:
        # Only a contact whose user id is the sender's is their own number.
        sender = message.from_user.id if message.from_user is not None else None
        own = sender is not None and message.contact.user_id == sender
        return ContactInput(message.contact.phone_number, own)
    for kind in _OTHER_KINDS:
        if getattr(message, kind, None):
            return OtherInput(kind)
    return OtherInput("other")
