"""Telegram's limits the Bot API schema does not carry (see ``schema.py`` for the list)."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError
from .formatting import format_text

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_BUTTONS = 100
MAX_ROW = 8
MAX_COMMANDS = 100
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE = re.compile(r"(?:[a-z]{2})?")


class Invalid(Exception):
    """A value broke a rule; ``path`` names where."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def text_length(path: str, raw: str, mode: Any, entities: Any, limit: int | None) -> None:
    """Text 1–``limit`` characters after entities parsing; a caption at most 1024 (may be empty)."""
    try:
        text, _ = format_text(raw, mode if isinstance(mode, str) else None, entities)
    except ApiError as err:
        raise Invalid(path, err.description.removeprefix("Bad Request: ")) from None
    if limit is None:
        if len(text) > MAX_CAPTION:
            raise Invalid(
                path, f"message caption is too long: {len(text)} characters, at most 1024"
            )
        return
    if not text:
        raise Invalid(path, "message text is empty")
    if len(text) > limit:
        raise Invalid(
            path,
            f"message is too long: {len(text)} characters after entities parsing, at most {limit}",
        )


def _inline_keyboard(path: str, value: dict[str, Any]) -> None:
    rows = value["inline_keyboard"]
    total = sum(len(row) for row in rows)
    if total > MAX_BUTTONS:
        raise Invalid(
            f"{path}.inline_keyboard",
            f"reply markup is too long: {total} buttons, at most {MAX_BUTTONS}",
        )
    for r, row in enumerate(rows):
        if len(row) > MAX_ROW:
            raise Invalid(
                f"{path}.inline_keyboard[{r}]",
                f"reply markup is too long: {len(row)} buttons in a row, at most {MAX_ROW}",
            )


def _inline_button(path: str, button: dict[str, Any]) -> None:
    if not button["text"]:
        raise Invalid(f"{path}.text", "BUTTON_TEXT_INVALID: the button text is empty")
    actions = [key for key in BUTTON_ACTIONS if key in button]
    if len(actions) != 1:
        raise Invalid(
            path,
            "can't parse inline keyboard button: exactly one of "
            f"{', '.join(BUTTON_ACTIONS)} must be given (got {actions or 'none'})",
        )
    data = button.get("callback_data")
    if data is not None:
        size = len(data.encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise Invalid(
                f"{path}.callback_data",
                f"BUTTON_DATA_INVALID: {size} bytes, must be 1-{MAX_CALLBACK_DATA}: {data!r}",
            )


def _bot_command(path: str, command: dict[str, Any]) -> None:
    if not _COMMAND.fullmatch(command["command"]):
        raise Invalid(
            f"{path}.command",
            f"BOT_COMMAND_INVALID: {command['command']!r} must be 1-32 of [a-z0-9_]",
        )
    if not 1 <= len(command["description"]) <= 256:
        raise Invalid(
            f"{path}.description",
            f"BOT_COMMAND_DESCRIPTION_INVALID: {len(command['description'])} characters, "
            "must be 1-256",
        )


def _media_caption(path: str, media: dict[str, Any]) -> None:
    if "caption" in media:
        text_length(
            f"{path}.caption",
            media["caption"],
            media.get("parse_mode"),
            media.get("caption_entities"),
            None,
        )


def no_rule(path: str, value: dict[str, Any]) -> None:
    """Most types have nothing beyond their fields' types."""


OBJECT_RULES = {
    "InlineKeyboardMarkup": _inline_keyboard,
    "InlineKeyboardButton": _inline_button,
    "BotCommand": _bot_command,
    **{
        f"InputMedia{kind}": _media_caption
        for kind in ("Animation", "Audio", "Document", "LivePhoto", "Photo", "Video")
    },
}
