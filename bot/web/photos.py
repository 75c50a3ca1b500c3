"""Owners' photos for the dashboard: fetched through the Bot API's getFile, kept in memory,
served by our own URL so the bot token never reaches a browser."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Protocol

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)

CACHE_ITEMS = 200
MAX_BYTES = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB


class PhotoSource(Protocol):
    """Where photo bytes come from (the Bot API)."""

    async def fetch(self, file_id: str) -> bytes | None:
        """The file's bytes, or None if Telegram cannot give it."""
        ...


class BotPhotos:
    """getFile + download through a PTB Bot, the newest ``CACHE_ITEMS`` kept in memory."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = asyncio.Lock()

    async def fetch(self, file_id: str) -> bytes | None:
        """The photo's bytes (cached)."""
        if file_id in self._cache:
            self._cache.move_to_end(file_id)
            return self._cache[file_id]
        async with self._lock:  # one download per photo, however many viewers ask at once
            if file_id in self._cache:
                return self._cache[file_id]
            try:
                file = await self.bot.get_file(file_id)
                if file.file_size and file.file_size > MAX_BYTES:
                    return None
                data = bytes(await file.download_as_bytearray())
            except TelegramError as exc:
                log.warning("dashboard: photo %s not available: %s", file_id[:16], exc)
                return None
            self._cache[file_id] = data
            while len(self._cache) > CACHE_ITEMS:
                self._cache.popitem(last=False)
            return data
