"""Long polling that confirms an update to Telegram only after it has been handled.

PTB's own updater asks for the next batch — which confirms the last one — before the handlers
have run, so a crash in between loses updates. Here the offset never moves past an update that
is still in hand (each id is recorded as handled); after a crash Telegram hands the
unconfirmed ones over again, and the handled-id record drops those already done. At least
once, never twice.

Updates of different people in different chats are handled side by side (their waits on
Telegram's pace and on the disk overlap); an update waits for every earlier one that shares
its chat or its sender, so each conversation still sees its messages in order. New updates
are fetched while earlier ones are still in hand: one person whose answers must wait for
their chat's pace holds up nobody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence, Set
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.core.models import Priority
from bot.tg.governor import sending_as

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
# Updates handled at once; Telegram hands over at most 100 per batch.
CONCURRENCY = 8
# While updates are in hand Telegram answers at once (with them, unconfirmed): look for new
# ones this often instead of long polling.
BUSY_POLL = 0.3


class Poller:
    """Fetches updates and hands them one at a time to the Application."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        timeout: float,
        allowed_updates: Sequence[str],
        concurrency: int = CONCURRENCY,
        leading: Callable[[], bool] | None = None,
    ) -> None:
        self.app = app
        # A replica polling alone (docs/architecture.md, "Replicas"): asked before every
        # getUpdates whether its lease still holds.
        self.leading = leading
        self.count = 0  # updates handled (health, tests)
        self.concurrency = concurrency
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self._seen: int | None = None  # the newest update id taken in hand
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        # The newest task of each chat and sender: the next update of theirs waits for it.
        self._last: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.conflicts = 0

    @property
    def offset(self) -> int | None:
        """What getUpdates confirms: everything before the oldest update still in hand."""
        if self._in_hand:
            return min(self._in_hand)
        return None if self._seen is None else self._seen + 1

    @property
    def running(self) -> bool:
        """Whether it is polling now."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Begin polling in the background."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="polling")

    async def stop(self, confirm: bool = True) -> None:
        """Stop polling at once (a pending long poll is abandoned), finish the updates in
        hand, and confirm them. ``confirm`` False (the lease is lost: another replica may
        be polling): only stop asking; what is in hand finishes on its own."""
        self._stopping = True
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if not confirm:
            return
        if self._in_hand:
            await asyncio.wait(list(self._in_hand.values()), timeout=10)
        offset = self.offset  # an update still in hand is not confirmed: it comes again
        stuck = list(self._in_hand.values())
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)
        await self._confirm(offset)

    async def _confirm(self, offset: int | None) -> None:
        """Tell Telegram the handled updates are done, so a restart is not handed them again."""
        if offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self.app.bot.get_updates(offset=offset, timeout=timedelta(0), limit=1)

    async def _run(self) -> None:
        backoff = 1.0
        while not self._stopping:
            timeout = self.timeout
            if self._in_hand:
                await asyncio.wait(list(self._in_hand.values()), timeout=BUSY_POLL)
                timeout = 0 if self._in_hand else self.timeout
            if self.leading is not None and not self.leading():
                log.warning("poller: the lease is lost; polling stops")
                return
            try:
                updates = await self.app.bot.get_updates(
                    offset=self.offset,
                    timeout=timedelta(seconds=timeout),
                    allowed_updates=self.allowed_updates,
                    read_timeout=timeout + 10,
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
            if not self._stopping:
                self._take(updates)

    def _take(self, updates: Sequence[Update]) -> None:
        """Start handling the updates not yet in hand (Telegram repeats unconfirmed ones)."""
        for update in updates:
            if self._seen is not None and update.update_id <= self._seen:
                continue  # in hand, or handled but not yet confirmed
            self._seen = update.update_id
            keys = _ordering_keys(update)
            before = {self._last[k] for k in keys if k in self._last}
            task = asyncio.create_task(self._handle_one(update, before))
            self._in_hand[update.update_id] = task
            for key in keys:
                self._last[key] = task
            task.add_done_callback(partial(self._done, update))

    def _done(self, update: Update, task: asyncio.Task[None]) -> None:
        """An update is finished: the offset may move past it (unless it was cancelled)."""
        self._in_hand.pop(update.update_id, None)
        for key in _ordering_keys(update):
            if self._last.get(key) is task:
                del self._last[key]
        if not task.cancelled() and task.exception() is not None:
            # Handled (or failed and reported by the error handler): it is confirmed anyway.
            log.error("update %s could not be handled", update.update_id, exc_info=task.exception())

    async def _handle_one(self, update: Update, before: Set[asyncio.Task[None]]) -> None:
        """Handle one update once the earlier ones of its chat and sender are done."""
        if before:
            await asyncio.wait(before)
        async with self._slots:
            # What a handler sends is the answer to this person: it goes before queued notices.
            with sending_as(Priority.REPLY):
                await self.app.process_update(update)
            self.count += 1


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
