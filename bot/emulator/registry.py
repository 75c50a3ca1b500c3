"""The table of Bot API methods the fake implements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .params import Params
from .state import BotState

Handler = Callable[[BotState, Params], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}


def api_method(*names: str) -> Callable[[Handler], Handler]:
    """Register a coroutine as the implementation of the named methods (case-insensitive)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = (name, handler)
        return handler

    return register


def lookup(method: str) -> tuple[str, Handler] | None:
    """Return ``(canonical name, handler)`` for a method name, as Telegram ignores case."""
    return METHODS.get(method.lower())
