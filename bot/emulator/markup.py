"""Validating reply markup like Telegram does, and reading inline buttons out of it."""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .objects import JSON

Buttons = list[list[tuple[str, str | None]]]

_ACTIONS = (
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
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100


def validate_markup(markup: Any) -> JSON | None:
    """Check a decoded ``reply_markup`` and return it, raising Telegram's 400 errors."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse keyboard JSON object")
        for row in rows:
            for button in row:
                if not (
                    isinstance(button, str) or (isinstance(button, dict) and button.get("text"))
                ):
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _validate_inline(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard JSON object")
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [key for key in _ACTIONS if key in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = str(button["url"])
                if not url.startswith(("http://", "https://", "tg://")):
                    raise bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )


def inline_part(markup: JSON | None) -> JSON | None:
    """Return the markup if it is a non-empty inline keyboard (what a Message carries)."""
    if markup and markup.get("inline_keyboard") and any(markup["inline_keyboard"]):
        return markup
    return None


def inline_buttons(markup: JSON | None) -> Buttons:
    """Return an inline keyboard as rows of ``(text, callback_data or None)``."""
    inline = inline_part(markup)
    if inline is None:
        return []
    return [
        [(str(b["text"]), b.get("callback_data")) for b in row] for row in inline["inline_keyboard"]
    ]


def keyboard_labels(markup: JSON | None) -> list[list[str]]:
    """Return a reply keyboard's button texts as rows."""
    if not markup or "keyboard" not in markup:
        return []
    return [
        [b if isinstance(b, str) else str(b["text"]) for b in row] for row in markup["keyboard"]
    ]
