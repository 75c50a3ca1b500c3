"""The outbox worker: delivers queued messages at least once, with retries and pacing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, InputMediaPhoto, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.core.models import OutboxItem
from bot.store import Store
from bot.tg.render import fit, keyboard
from bot.tg.services import Services

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0  # Telegram allows about one message a second to one private chat
PER_GROUP_INTERVAL = 3.0  # and 20 a minute to a group
MAX_BACKOFF = 300.0


class OutboxWorker:
    """Polls the outbox table; ``wake()`` makes it look at once after a commit."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        deliver_card: Callable[[Bot, OutboxItem], Awaitable[Message | None]],
        idle_poll: float = 1.0,
        undeliverable: Callable[[OutboxItem], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.deliver_card = deliver_card
        self.undeliverable = undeliverable
        self.services = services
        self.store: Store = services.store
        self.idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_sent: dict[int, float] = {}
        self._next_slot = 0.0  # when the next paced send may start (time.monotonic)
        self.next_ready: float | None = None
        # About 30 a second overall is Telegram's limit; config.yaml says how close to go.
        self.global_interval = 1 / services.settings.telegram.messages_per_second
        self._slot = asyncio.Lock()
        # Messages being (or just) delivered, so the worker and ``deliver_reply`` never both
        # send one: either may have read it before the other marked it sent. Insertion-ordered,
        # trimmed to the newest; a read is never older than a few of them.
        self._claimed: dict[int, None] = {}

    def wake(self) -> None:
        """New messages were committed: deliver them now."""
        self._wake.set()

    def start(self) -> None:
        """Run the worker in the background."""
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, flush_timeout: float = 3.0) -> None:
        """Stop the background loop, then deliver what is due (for up to ``flush_timeout``)."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        try:
            await asyncio.wait_for(self.flush(flush_timeout), flush_timeout + 1)
        except TimeoutError:
            pass  # what is left is delivered after the next start
        except Exception:  # shutting down goes on: the messages stay queued in the database
            log.exception("outbox: delivering at shutdown failed")
        self._task = None

    async def flush(self, within: float = 3.0) -> None:
        """Deliver everything due now, waiting out the pacing (at shutdown and in tests)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await self.deliver_due()
            if self.next_ready is None:
                return
            await asyncio.sleep(min(self.next_ready, max(deadline - time.monotonic(), 0)))

    async def _run(self) -> None:
        while True:
            try:
                if await self.deliver_due():
                    continue  # sent something: more chats may be waiting right behind
            except Exception:  # the worker must outlive any one bad message or DB hiccup
                log.exception("outbox worker error")
            self._wake.clear()
            pause = (
                self.idle_poll if self.next_ready is None else min(self.next_ready, self.idle_poll)
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def deliver_due(self) -> int:
        """One pass over due messages; returns how many were sent.

        A chat that may not get another message yet (one a second to a person, one every
        three seconds to a group) is skipped for this pass — with all its later messages, so
        each chat's order holds — and others go on; ``next_ready`` says when to look again.
        """
        items = await self.store.due_outbox(self.services.clock())
        self.next_ready = None
        ready: list[OutboxItem] = []
        for item in items:  # one per chat: the chat's oldest pending message
            if item.id in self._claimed:
                continue  # on its way as a reply
            wait = self._chat_wait(item.message.chat_id)
            if wait > 0:
                self.next_ready = wait if self.next_ready is None else min(self.next_ready, wait)
            else:
                self._claim(item.id)
                ready.append(item)
        # Different chats go out side by side (the round trips overlap), started no faster
        # than the overall rate allows.
        results = await asyncio.gather(*(self._paced(item) for item in ready))
        return sum(results)

    async def deliver_reply(self, chat_id: int) -> None:
        """Deliver a chat's oldest pending message now, outside the overall pacing.

        For the answer to what the person just did (a ticket number after Submit): like the
        conversation's own replies it should not wait behind notices to other people. The
        chat's own pace and order still hold; if it cannot go now, the worker sends it.
        """
        self.wake()  # for everything else the change queued
        try:
            item = await self.store.due_outbox_of_chat(chat_id, self.services.clock())
            if item is None or item.id in self._claimed or self._chat_wait(chat_id) > 0:
                return
            self._claim(item.id)
            # Telegram counts it against the overall rate, so the paced sends make room.
            self._next_slot = max(self._next_slot, time.monotonic()) + self.global_interval
            await self._deliver(item)
        except Exception:  # it is still queued: the worker delivers it
            log.exception("outbox: replying to chat %s at once failed", chat_id)

    def _chat_wait(self, chat_id: int) -> float:
        """Seconds until this chat may get another message (0 or less: now)."""
        interval = PER_GROUP_INTERVAL if chat_id < 0 else PER_CHAT_INTERVAL
        return self._last_sent.get(chat_id, -interval) + interval - time.monotonic()

    def _claim(self, item_id: int) -> None:
        self._claimed[item_id] = None
        while len(self._claimed) > 1000:
            del self._claimed[next(iter(self._claimed))]

    async def _paced(self, item: OutboxItem) -> bool:
        """Wait for a slot under the overall rate, then deliver."""
        try:
            async with self._slot:
                await self._pace()
        except BaseException:  # stopped while waiting: the message is free for the next pass
            self._claimed.pop(item.id, None)
            raise
        return await self._deliver(item)

    async def _pace(self) -> None:
        """Wait for the next send slot under the overall rate.

        Slots are ``global_interval`` apart on a schedule: a sleep that overshoots by a
        millisecond (they all do) is made up at the next slot instead of slowing every send,
        and at most one slot is made up, so sends never burst.
        """
        now = time.monotonic()
        slot = max(self._next_slot, now - self.global_interval)
        self._next_slot = slot + self.global_interval
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _deliver(self, item: OutboxItem) -> bool:
        """Send one claimed message and record the outcome; True if it was delivered."""
        delivered = False
        try:
            delivered = await self._attempt(item)
        finally:
            if not delivered:
                self._claimed.pop(item.id, None)  # it is tried again later
        return delivered

    async def _attempt(self, item: OutboxItem) -> bool:
        """Send one message and record the outcome; True if it was delivered."""
        message = item.message
        now = self.services.clock()
        sent: Message | None
        try:
            if message.card is not None:
                sent = await self.deliver_card(self.bot, item)
            elif message.photos:
                # An album (the owner's photos above a new card): its own item, paced alone.
                if len(message.photos) == 1:  # an album needs two to ten
                    sent = await self.bot.send_photo(message.chat_id, message.photos[0])
                else:
                    album = await self.bot.send_media_group(
                        message.chat_id, [InputMediaPhoto(p) for p in message.photos[:10]]
                    )
                    sent = album[0] if album else None
            elif message.photo:
                sent = await self.bot.send_photo(
                    message.chat_id,
                    message.photo,
                    caption=fit(message.text, 1024),
                    reply_markup=keyboard(message.buttons),
                )
            else:
                sent = await self.bot.send_message(
                    message.chat_id, fit(message.text), reply_markup=keyboard(message.buttons)
                )
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            await self.store.outbox_retry(item.id, now + timedelta(seconds=seconds), str(exc))
            return False
        except ChatMigrated as exc:
            # A group became a supergroup: its id changed, and config.yaml must say the new one.
            log.error(
                "outbox message %s: chat %s is now %s — put the new id in config.yaml",
                item.id,
                message.chat_id,
                exc.new_chat_id,
            )
            await self.store.outbox_failed(item.id, str(exc), now)
            return False
        except (Forbidden, BadRequest) as exc:
            # The person blocked the bot or the chat is gone: retrying cannot help.
            log.warning(
                "outbox message %s to chat %s failed for good: %s", item.id, message.chat_id, exc
            )
            await self.store.outbox_failed(item.id, str(exc), now)
            gone = isinstance(exc, Forbidden) or "chat not found" in str(exc).lower()
            if gone and self.undeliverable is not None:
                await self.undeliverable(item)  # the person cannot be reached at all
            return False
        except (NetworkError, TelegramError) as exc:
            backoff = min(MAX_BACKOFF, 2.0**item.attempts)
            log.info("outbox message %s: %s; retrying in %.0fs", item.id, exc, backoff)
            await self.store.outbox_retry(item.id, now + timedelta(seconds=backoff), str(exc))
            return False
        self._last_sent[message.chat_id] = time.monotonic()
        message_id = sent.message_id if sent is not None else None
        await self.store.outbox_sent(item.id, message_id, self.services.clock())
        return True
