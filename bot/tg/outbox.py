"""The outbox worker: delivers queued messages at least once, with retries.

Pacing is not done here: every send, queued or direct, waits its turn in the transport's
governor (bot/tg/governor.py), at the message's priority. With several replicas on one
PostgreSQL (``holder`` given), a message is claimed in the database before it is sent, so
only one replica sends it.
"""

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

from bot.core.models import OutboxItem, Priority
from bot.redaction import redact
from bot.store.interfaces import OutboxStore
from bot.store.replica_interfaces import OutboxClaims
from bot.tg.callbacks import callback_rows
from bot.tg.governor import sending_as
from bot.tg.render import fit, keyboard
from bot.tg.services import Services

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0
# Completions wake the worker; one pass at most this often serves those close together.
PASS_GAP = 0.02


class OutboxWorker:
    """Polls the outbox table; ``wake()`` makes it look at once after a commit."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        deliver_card: Callable[[Bot, OutboxItem], Awaitable[Message | None]],
        idle_poll: float = 1.0,
        undeliverable: Callable[[OutboxItem], Awaitable[None]] | None = None,
        holder: str | None = None,
    ) -> None:
        self.bot = bot
        self.deliver_card = deliver_card
        self.undeliverable = undeliverable
        self.services = services
        self.store: OutboxStore = services.store
        self.idle_poll = idle_poll
        # A replica among several claims each message in the database before sending it.
        store = services.store
        self.claims: OutboxClaims | None = (
            store if holder is not None and isinstance(store, OutboxClaims) else None
        )
        self.holder = holder or ""
        self._stopping = False
        # The desk rings the services' bell after a commit; the worker listens to it.
        self._wake = services.bell
        self._task: asyncio.Task[None] | None = None
        # Chats with messages on their way, and their priorities: a chat's next message waits
        # for them (order holds), unless it is more important (a card overtakes a relay).
        self._busy: dict[int, list[Priority]] = {}
        self._sending: set[asyncio.Task[bool]] = set()
        # Messages being (or just) delivered, so the worker and ``deliver_reply`` never both
        # send one: either may have read it before the other marked it sent. Insertion-ordered,
        # trimmed to the newest; a read is never older than a few of them.
        self._claimed: dict[int, None] = {}

    def wake(self) -> None:
        """New messages were committed: deliver them now."""
        self._wake.set()

    def start(self) -> None:
        """Run the worker in the background."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, flush_timeout: float = 3.0) -> None:
        """Stop the background loop, then deliver what is due (for up to ``flush_timeout``)."""
        if self._task is None:
            return
        # A flag as well as the cancel: on Python 3.11 wait_for can swallow a cancel that
        # arrives together with a wake-up, and the loop would go on.
        self._stopping = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        try:
            await asyncio.wait_for(self.flush(flush_timeout), flush_timeout + 1)
        except TimeoutError:
            pass  # what is left is delivered after the next start
        except Exception:  # shutting down goes on: the messages stay queued in the database
            log.exception("outbox: delivering at shutdown failed")
        finally:
            await self._abandon()
            if self.claims is not None:  # what this replica did not send, another may
                with contextlib.suppress(Exception):
                    await self.claims.outbox_release(self.holder)
        self._task = None

    async def _abandon(self) -> None:
        """Stop the sends still waiting: their messages stay queued for the next start."""
        for task in list(self._sending):
            task.cancel()
        if self._sending:
            await asyncio.wait(list(self._sending))

    async def flush(self, within: float = 3.0) -> None:
        """Deliver everything due now and wait for it (at shutdown and in tests)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            started = await self.deliver_due()
            if not self._sending:
                if started == 0:
                    return
                continue
            await asyncio.wait(
                list(self._sending),
                timeout=max(deadline - time.monotonic(), 0),
                return_when=asyncio.FIRST_COMPLETED,
            )

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before looking: a wake during the pass is not lost
            try:
                await self.deliver_due()
            except Exception:  # the worker must outlive any one bad message or DB hiccup
                log.exception("outbox worker error")
            await asyncio.sleep(PASS_GAP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle_poll)

    async def deliver_due(self) -> int:
        """Start delivering each chat's next due message; returns how many were started.

        Different chats go out side by side, each at its own priority: the governor decides
        who goes first and keeps Telegram's limits. A chat with a message on its way is left
        for the next pass, so each chat's messages keep their order, unless its next one is
        more important: then both wait in the governor, and the more important goes first.
        """
        items = await self.store.due_outbox(self.services.clock())
        wanted = []
        for item in items:
            ahead = self._busy.get(item.message.chat_id)
            if item.id in self._claimed or (ahead and item.message.priority >= min(ahead)):
                continue  # on its way (as a reply), or behind the chat's message on its way
            wanted.append(item)
        if self.claims is not None and wanted:
            won = await self.claims.outbox_claim([i.id for i in wanted], self.holder)
            wanted = [i for i in wanted if i.id in won]  # the rest: another replica's
        started = 0
        for item in wanted:
            chat, priority = item.message.chat_id, item.message.priority
            if item.id in self._claimed:
                continue  # taken as a reply while the claim was on its way
            self._claim(item.id)
            self._take(chat, priority)
            task = asyncio.create_task(self._send(item), name=f"outbox-{item.id}")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
            started += 1
        return started

    async def _send(self, item: OutboxItem) -> bool:
        """Deliver one claimed message at its priority; the chat is free again afterwards."""
        try:
            with sending_as(item.message.priority):
                return await self._deliver(item)
        except Exception:  # a bad message must not stop the others: it is tried again later
            log.exception("outbox message %s could not be delivered", item.id)
            return False
        finally:
            self._free(item.message.chat_id, item.message.priority)

    def _take(self, chat: int, priority: Priority) -> None:
        self._busy.setdefault(chat, []).append(priority)

    def _free(self, chat: int, priority: Priority) -> None:
        on_its_way = self._busy.get(chat, [])
        if priority in on_its_way:
            on_its_way.remove(priority)
        if not on_its_way:
            self._busy.pop(chat, None)
        self.wake()  # the chat's next message may go now

    async def deliver_reply(self, chat_id: int) -> None:
        """Deliver a chat's next pending message now, as the answer to what the person did.

        For the ticket number after Submit: it goes at the highest priority, before notices
        and cards to other people. If it cannot go now, the worker sends it.
        """
        self.wake()  # for everything else the change queued
        try:
            item = await self.store.due_outbox_of_chat(chat_id, self.services.clock())
            if item is None or item.id in self._claimed:
                return
            if self.claims is not None and not await self.claims.outbox_claim(
                [item.id], self.holder
            ):
                return  # another replica is sending it
            if item.id in self._claimed:
                return
            self._claim(item.id)
            self._take(chat_id, item.message.priority)
            try:
                with sending_as(Priority.REPLY):
                    await self._deliver(item)
            finally:
                self._free(chat_id, item.message.priority)
        except Exception:  # it is still queued: the worker delivers it
            log.exception("outbox: replying to chat %s at once failed", chat_id)

    def _claim(self, item_id: int) -> None:
        self._claimed[item_id] = None
        while len(self._claimed) > 1000:
            del self._claimed[next(iter(self._claimed))]

    async def _deliver(self, item: OutboxItem) -> bool:
        """Send one claimed message and record the outcome; True if it was delivered."""
        delivered = False
        try:
            delivered = await self._attempt(item)
        finally:
            if not delivered:
                self._claimed.pop(item.id, None)  # it is tried again later
                if self.claims is not None:  # … perhaps by another replica
                    with contextlib.suppress(Exception):
                        await self.claims.outbox_release(self.holder, item.id)
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
                    reply_markup=keyboard(callback_rows(message.buttons)),
                )
            else:
                sent = await self.bot.send_message(
                    message.chat_id,
                    fit(message.text),
                    reply_markup=keyboard(callback_rows(message.buttons)),
                )
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            await self.store.outbox_retry(
                item.id, now + timedelta(seconds=seconds), _said(self.bot, exc)
            )
            return False
        except ChatMigrated as exc:
            # A group became a supergroup: its id changed, and config.yaml must say the new one.
            log.error(
                "outbox message %s: chat %s is now %s — put the new id in config.yaml",
                item.id,
                message.chat_id,
                exc.new_chat_id,
            )
            await self.store.outbox_failed(item.id, _said(self.bot, exc), now)
            return False
        except (Forbidden, BadRequest) as exc:
            # The person blocked the bot or the chat is gone: retrying cannot help.
            said = _said(self.bot, exc)
            log.warning(
                "outbox message %s to chat %s failed for good: %s", item.id, message.chat_id, said
            )
            await self.store.outbox_failed(item.id, said, now)
            gone = isinstance(exc, Forbidden) or "chat not found" in str(exc).lower()
            if gone and self.undeliverable is not None:
                await self.undeliverable(item)  # the person cannot be reached at all
            return False
        except (NetworkError, TelegramError) as exc:
            backoff = min(MAX_BACKOFF, 2.0**item.attempts)
            said = _said(self.bot, exc)
            log.info("outbox message %s: %s; retrying in %.0fs", item.id, said, backoff)
            await self.store.outbox_retry(item.id, now + timedelta(seconds=backoff), said)
            return False
        message_id = sent.message_id if sent is not None else None
        await self.store.outbox_sent(item.id, message_id, self.services.clock())
        return True


def _said(bot: Bot, exc: Exception) -> str:
    """An error as logged and stored (outbox.last_error, the timeline): never with the token."""
    return redact(str(exc), bot.token)
