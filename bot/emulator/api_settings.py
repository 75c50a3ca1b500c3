"""Bot API methods about the bot itself: getMe, commands, descriptions, menu button."""

from __future__ import annotations

import json
import re

from .errors import bad_request
from .objects import JSON, bot_user
from .params import Params
from .registry import api_method
from .state import BotState

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def scope_key(scope: JSON | None) -> str:
    """Return a stable key for a BotCommandScope (None means the default scope)."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


@api_method("getMe")
async def get_me(bot: BotState, p: Params) -> JSON:
    """getMe."""
    return bot_user(full=True)


@api_method("logOut", "close")
async def log_out(bot: BotState, p: Params) -> bool:
    """logOut / close."""
    return True


@api_method("setMyCommands")
async def set_my_commands(bot: BotState, p: Params) -> bool:
    """setMyCommands, stored per scope and language_code."""
    commands = p.json_value("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for item in commands:
        if not isinstance(item, dict) or not _COMMAND.match(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = (scope_key(p.json_value("scope")), p.opt_str("language_code") or "")
    commands = [{"command": c["command"], "description": c["description"]} for c in commands]
    if commands:
        bot.commands[key] = commands
    else:
        bot.commands.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(bot: BotState, p: Params) -> list[JSON]:
    """getMyCommands."""
    key = (scope_key(p.json_value("scope")), p.opt_str("language_code") or "")
    return list(bot.commands.get(key, []))


@api_method("deleteMyCommands")
async def delete_my_commands(bot: BotState, p: Params) -> bool:
    """deleteMyCommands."""
    bot.commands.pop((scope_key(p.json_value("scope")), p.opt_str("language_code") or ""), None)
    return True


def _text_setting(store_name: str, param: str, limit: int) -> None:
    async def setter(bot: BotState, p: Params) -> bool:
        value = p.opt_str(param) or ""
        if len(value) > limit:
            raise bad_request(f"{param} is too long")
        store: dict[str, str] = getattr(bot, store_name)
        lang = p.opt_str("language_code") or ""
        if value:
            store[lang] = value
        else:
            store.pop(lang, None)
        return True

    async def getter(bot: BotState, p: Params) -> JSON:
        store: dict[str, str] = getattr(bot, store_name)
        lang = p.opt_str("language_code") or ""
        return {param: store.get(lang, store.get("", ""))}

    suffix = param.title().replace("_", "")
    setter.__doc__ = f"setMy{suffix}."
    getter.__doc__ = f"getMy{suffix}."
    api_method(f"setMy{suffix}")(setter)
    api_method(f"getMy{suffix}")(getter)


_text_setting("descriptions", "description", 512)
_text_setting("short_descriptions", "short_description", 120)
_text_setting("names", "name", 64)


@api_method("setChatMenuButton")
async def set_chat_menu_button(bot: BotState, p: Params) -> bool:
    """setChatMenuButton (chat_id omitted: the default button)."""
    chat_id = bot.resolve_chat(p.chat_id()).id if "chat_id" in p else None
    bot.menu_buttons[chat_id] = p.json_value("menu_button") or {"type": "default"}
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(bot: BotState, p: Params) -> JSON:
    """getChatMenuButton."""
    chat_id = bot.resolve_chat(p.chat_id()).id if "chat_id" in p else None
    button = bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(None)
    return button or {"type": "commands"}
