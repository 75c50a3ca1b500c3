"""Updates through the database: one replica polls Telegram, every replica handles them.

``InboxPoller`` runs on the replica that holds the poller's lease (``bot.tg.replicas``): it
stores each batch in the inbox table and only then asks for the next one, which is what
confirms the batch to Telegram, so an update is never confirmed before it is on disk. It
checks the lease before every getUpdates and is cancelled the moment the lease is lost.

``InboxWorker`` runs on every replica: it claims updates in the database (each by one
replica; one claimed by a replica that died is claimed again) and hands them to the
Application. The claim only offers an update once every earlier update of its chat and its
sender is handled, so a conversation stays in order whichever replica takes its next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.clock import Clock
from bot.core.models import Priority
from bot.store.interfaces import UpdateLog
from bot.store.replica_interfaces import StoredUpdate, UpdateInbox
from bot.tg.governor import sending_as

log = logging.getLogger(__name__)

MAX_BACKOFF = 10.0
CONCURRENCY = 8
# Without a wake-up (another replica's NOTIFY may be lost with its connection), look anyway.
IDLE_LOOK = 0.5

App = Application[Any, Any, Any, Any, Any, Any]


def stored(update: Update) -> StoredUpdate:
    """An update as the inbox keeps it."""
    chat, user = update.effective_chat, update.effective_user
    return StoredUpdate(
        update.update_id,
        chat.id if chat is not None else None,
        user.id if user is not None else None,
        update.to_dict(),
    )


class InboxPoller:
    """Long-polls getUpdates while ``leading()`` says so; stores before confirming."""

    def __init__(
        self,
        app: App,
        inbox: UpdateInbox,
        clock: Clock,
        timeout: float,
        allowed_updates: Sequence[str],
        leading: Callable[[], bool],
        stored_hook: Callable[[], None],
    ) -> None:
        self.app = app
        self.inbox = inbox
        self.clock = clock
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.leading = leading
        self.stored_hook = stored_hook
        self.conflicts = 0
        self.polls = 0
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False  # with the cancel, which a wait_for inside may swallow (3.11)

    @property
    def running(self) -> bool:
        """Whether it is polling now."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Begin polling in the background."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="inbox-poller")

    async def stop(self, confirm: bool = True) -> None:
        """Stop at once (a pending long poll is abandoned); then confirm what was stored."""
        if self._task is None:
            return
        self._stopping = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if confirm and self._offset is not None and self.leading():
            # Everything up to the offset is in the inbox: a restart need not be handed it.
            with contextlib.suppress(TelegramError):
                await self.app.bot.get_updates(offset=self._offset, timeout=timedelta(0), limit=1)

    async def _run(self) -> None:
        backoff = 0.5
        try:
            self._offset = await self.inbox.inbox_next_offset()
        except Exception as exc:  # noqa: BLE001 — the replica's next step starts it again
            log.warning("poller: cannot read the inbox (%s); polling waits", exc)
            return
        while not self._stopping:
            if not self.leading():
                log.warning("poller: the lease is lost; polling stops")
                return
            try:
                self.polls += 1
                updates = await self.app.bot.get_updates(
                    offset=self._offset,
                    timeout=timedelta(seconds=self.timeout),
                    allowed_updates=self.allowed_updates,
                    read_timeout=self.timeout + 10,
                )
            except Conflict:
                # The previous leader's last poll, or a bot outside the replica set.
                self.conflicts += 1
                log.warning("getUpdates: 409 Conflict (another poller); retrying in %.1fs", backoff)
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
            except TelegramError as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                backoff = await _sleep(backoff)
                continue
            if not updates:
                backoff = 0.5
                continue
            try:
                await self.inbox.inbox_add([stored(u) for u in updates], self.clock())
            except Exception as exc:  # noqa: BLE001 — not stored: not confirmed, Telegram hands them over again
                log.warning("poller: storing %d updates failed (%s)", len(updates), exc)
                backoff = await _sleep(backoff)
                continue
            backoff = 0.5
            self._offset = max(u.update_id for u in updates) + 1
            self.stored_hook()


class InboxWorker:
    """Claims stored updates and handles them (up to ``concurrency`` at once)."""

    def __init__(
        self,
        app: App,
        inbox: UpdateInbox,
        handled: UpdateLog,
        holder: str,
        clock: Clock,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.app = app
        self.inbox = inbox
        self.handled = handled
        self.holder = holder
        self.clock = clock
        self.concurrency = concurrency
        self.count = 0  # updates handled here (health, tests)
        self._wake = asyncio.Event()
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._stopping = False

    def wake(self) -> None:
        """Something was stored or finished: look for work now."""
        self._wake.set()

    def start(self) -> None:
        """Begin handling in the background."""
        self._task = asyncio.create_task(self._run(), name="inbox-worker")

    async def stop(self, grace: float = 10.0) -> None:
        """Claim nothing more, finish what is in hand, give back what could not be."""
        # A flag as well as the cancel: on Python 3.11 wait_for can swallow a cancel that
        # arrives as the wake-up does, and the loop would go on.
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_hand:
            _, late = await asyncio.wait(list(self._in_hand.values()), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        with contextlib.suppress(Exception):  # otherwise they are free once we stop beating
            await self.inbox.inbox_release(self.holder)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            free = self.concurrency - len(self._in_hand)
            if free > 0:
                try:
                    claimed = await self.inbox.inbox_claim(self.holder, free)
                    if self._failing:
                        log.info("inbox: the database answers again")
                    self._failing = False
                except Exception as exc:  # noqa: BLE001 (any failure of the database or its driver)
                    if not self._failing:  # said once, not every half second
                        log.warning("inbox: cannot claim updates (%s); retrying", exc)
                    self._failing = True
                    claimed = []
                for update in claimed:
                    task = asyncio.create_task(
                        self._handle(update), name=f"update-{update.update_id}"
                    )
                    self._in_hand[update.update_id] = task
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_LOOK)

    async def _handle(self, stored_update: StoredUpdate) -> None:
        """Handle one claimed update, then mark it done (retrying: it holds up its chat)."""
        update_id = stored_update.update_id
        try:
            # Claimed again after a replica died mid-way: perhaps it was handled after all.
            repeat = stored_update.attempts > 1 and await self.handled.update_handled(update_id)
            if repeat:
                log.info("update %s was already handled; dropping the repeat", update_id)
            else:
                update = Update.de_json(stored_update.payload, self.app.bot)
                with sending_as(Priority.REPLY):
                    await self.app.process_update(update)
                self.count += 1
        except Exception:
            # Handled (or failed and reported by the error handler): done either way.
            log.exception("update %s could not be handled", update_id)
        finally:
            try:
                await self._finish(update_id)
            finally:
                self._in_hand.pop(update_id, None)
                self.wake()

    async def _finish(self, update_id: int) -> None:
        backoff = 0.2
        while True:
            try:
                await self.inbox.inbox_done(update_id, self.holder, self.clock())
                return
            except Exception as exc:  # noqa: BLE001 (any failure of the database or its driver)
                log.warning("inbox: marking update %s done failed (%s); retrying", update_id, exc)
                backoff = await _sleep(backoff)


async def _sleep(backoff: float) -> float:
    """Wait, and return the next (longer) wait."""
    await asyncio.sleep(backoff)
    return min(backoff * 2, MAX_BACKOFF)
