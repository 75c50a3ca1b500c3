"""Builders for Telegram Bot API objects as JSON dicts (User, Chat, PhotoSize, ...)."""

from __future__ import annotations

from typing import Any

from bot.clock import Clock

JSON = dict[str, Any]

BOT_ID = 777000111
BOT_FIRST_NAME = "EstateDesk"
BOT_USERNAME = "estatedesk_test_bot"
SUPERGROUP_THRESHOLD = -1_000_000_000_000


def unix_time(clock: Clock) -> int:
    """Return the Unix time Telegram would put in ``date``, read from ``clock``."""
    return int(clock().timestamp())


def bot_user(*, full: bool = False) -> JSON:
    """Return the bot's User; ``full`` adds the getMe-only capability flags."""
    user: JSON = {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
    }
    if full:
        user.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
    return user


def user_dict(
    user_id: int,
    first_name: str,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> JSON:
    """Return a human User object."""
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def private_chat(user: JSON) -> JSON:
    """Return the private Chat with ``user`` (its id equals the user id)."""
    chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for key in ("last_name", "username"):
        if key in user:
            chat[key] = user[key]
    return chat


def group_chat(chat_id: int, title: str, username: str | None = None) -> JSON:
    """Return a group Chat; ids below -10**12 are supergroups, as on Telegram."""
    kind = "supergroup" if chat_id <= SUPERGROUP_THRESHOLD else "group"
    chat: JSON = {"id": chat_id, "type": kind, "title": title}
    if username:
        chat["username"] = username
    return chat


def chat_full_info(chat: JSON) -> JSON:
    """Return the ChatFullInfo getChat answers with."""
    info = dict(chat)
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return info


def command_entities(text: str) -> list[JSON]:
    """Return the bot_command entity Telegram adds to text starting with ``/``."""
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(word)}]


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units (Telegram's entity unit)."""
    return len(text.encode("utf-16-le")) // 2


def update_kind(update: JSON) -> str:
    """Return the type of an Update (``message``, ``callback_query``, ...)."""
    return next(key for key in update if key != "update_id")


def message_kind(message: JSON) -> str:
    """Return the content type of a Message (``text``, ``photo``, ``document``, ...)."""
    for key in (
        "text",
        "photo",
        "document",
        "video",
        "animation",
        "audio",
        "voice",
        "sticker",
        "location",
        "contact",
    ):
        if key in message:
            return key
    return "other"
