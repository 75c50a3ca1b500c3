"""Long polling that confirms an update to Telegram only after it has been handled.

PTB's own updater asks for the next batch — which confirms the last one — before the handlers
have run, so a crash in between loses updates. Here each update is handled (and its id recorded
as handled) before the offset moves past it; after a crash Telegram hands the unconfirmed ones
over again, and the handled-id record drops those already done. At least once, never twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


class Poller:
    """Fetches updates and hands them one at a time to the Application."""

    def __init__(
        self, app: Application[Any, Any, Any, Any, Any, Any], timeout: float,
        allowed_updates: Sequence[str],
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._idle = asyncio.Event()  # set while waiting for Telegram, not handling an update
        self.conflicts = 0

    def start(self) -> None:
        """Begin polling in the background."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="polling")

    async def stop(self) -> None:
        """Finish the update in hand, then stop (a pending long poll is simply abandoned)."""
        self._stopping = True
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 10)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await self._confirm()

    async def _confirm(self) -> None:
        """Tell Telegram the handled updates are done, so a restart is not handed them again."""
        if self.offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self.app.bot.get_updates(offset=self.offset, timeout=timedelta(0), limit=1)

    async def _run(self) -> None:
        backoff = 1.0
        while not self._stopping:
            self._idle.set()
            try:
                updates = await self.app.bot.get_updates(
                    offset=self.offset,
                    timeout=timedelta(seconds=self.timeout),
                    allowed_updates=self.allowed_updates,
                    read_timeout=self.timeout + 10,
                )
            except Conflict:
                self.conflicts += 1
                log.error(
                    "409 Conflict: another process is polling with this bot token (or a webhook"
                    " is set). Stop the other instance; retrying in %.0fs", backoff,
                )
                backoff = await _sleep(backoff)
                continue
            except InvalidToken:
                log.critical("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN")
                raise
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(delay.total_seconds() if isinstance(delay, timedelta)
                                    else float(delay))
                continue
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                backoff = await _sleep(backoff)
                continue
            backoff = 1.0
            for update in updates:
                if self._stopping:
                    break
                self._idle.clear()
                try:
                    await self.app.process_update(update)
                finally:
                    # Handled (or failed and reported by the error handler): confirm it.
                    self.offset = update.update_id + 1
                    self._idle.set()


async def _sleep(backoff: float) -> float:
    """Wait, and return the next (longer) wait."""
    await asyncio.sleep(backoff)
    return min(backoff * 2, MAX_BACKOFF)
