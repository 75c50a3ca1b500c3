"""Long polling that confirms an update to Telegram only after it has been handled.

PTB's own updater asks for the next batch — which confirms the last one — before the handlers
have run, so a crash in between loses updates. Here a whole batch is handled (and each id
recorded as handled) before the offset moves past it; after a crash Telegram hands the
unconfirmed ones over again, and the handled-id record drops those already done. At least
once, never twice.

Within a batch, updates of different people in different chats are handled side by side (their
waits on Telegram and on the disk overlap); an update waits for every earlier one that shares
its chat or its sender, so each conversation still sees its messages in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence, Set
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
# Updates handled at once; Telegram hands over at most 100 per batch.
CONCURRENCY = 8


class Poller:
    """Fetches updates and hands them one at a time to the Application."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        timeout: float,
        allowed_updates: Sequence[str],
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.app = app
        self.concurrency = concurrency
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
                    " is set). Stop the other instance; retrying in %.0fs",
                    backoff,
                )
                backoff = await _sleep(backoff)
                continue
            except InvalidToken:
                log.critical("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN")
                raise
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(
                    delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
                )
                continue
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                backoff = await _sleep(backoff)
                continue
            backoff = 1.0
            if updates and not self._stopping:
                self._idle.clear()
                try:
                    await self._handle(updates)
                finally:
                    self._idle.set()

    async def _handle(self, updates: Sequence[Update]) -> None:
        """Handle a batch, side by side where no chat or sender is shared; move the offset
        past each update once it and every update before it are done."""
        slots = asyncio.Semaphore(self.concurrency)
        last: dict[tuple[str, int], asyncio.Task[None]] = {}
        tasks: list[asyncio.Task[None]] = []
        for update in updates:
            keys = _ordering_keys(update)
            before = {last[k] for k in keys if k in last}
            task = asyncio.create_task(self._handle_one(update, before, slots))
            tasks.append(task)
            for key in keys:
                last[key] = task
        pending = dict(zip(tasks, updates, strict=True))

        def done(task: asyncio.Task[None]) -> None:
            if task.cancelled():
                return  # not handled: it stays unconfirmed, and comes again after a restart
            update = pending.pop(task)
            if task.exception() is not None:
                log.error(
                    "update %s could not be handled", update.update_id, exc_info=task.exception()
                )
            # Handled (or failed and reported by the error handler): confirm everything up to
            # the earliest update still in hand.
            first = min((u.update_id for u in pending.values()), default=None)
            self.offset = max(
                self.offset or 0, first if first is not None else updates[-1].update_id + 1
            )

        for task in tasks:
            task.add_done_callback(done)
        try:
            await asyncio.wait(tasks)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise

    async def _handle_one(
        self, update: Update, before: Set[asyncio.Task[None]], slots: asyncio.Semaphore
    ) -> None:
        """Handle one update once the earlier ones of its chat and sender are done."""
        if before:
            await asyncio.wait(before)
        async with slots:
            await self.app.process_update(update)


def _ordering_keys(update: Update) -> list[tuple[str, int]]:
    """What an update must keep its order with: its chat's and its sender's earlier updates."""
    keys: list[tuple[str, int]] = []
    if update.effective_chat is not None:
        keys.append(("chat", update.effective_chat.id))
    if update.effective_user is not None:
        keys.append(("user", update.effective_user.id))
    return keys


async def _sleep(backoff: float) -> float:
    """Wait, and return the next (longer) wait."""
    await asyncio.sleep(backoff)
    return min(backoff * 2, MAX_BACKOFF)
