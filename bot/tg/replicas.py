"""One replica among several on one PostgreSQL: heartbeat, the poller's lease, the inbox.

Every replica handles updates from the inbox and delivers the outbox; exactly one — the
holder of the ``poller`` lease — long-polls Telegram. A replica that is alone (and finds the
inbox empty) polls and handles as a single bot does, without the inbox: it goes back to the
inbox the moment a heartbeat counts another replica. The lease lives ``LEASE_TTL`` and is
renewed every ``STEP``; another replica takes it when it expires (a hung leader) or at once
when the holder's database session is gone (killed, or its connection cut). A leader that
cannot renew stops polling before its next getUpdates and is cancelled mid-poll.
See docs/architecture.md, "Replicas".
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram.ext import Application

from bot.clock import Clock, DatabaseClock, utc_now
from bot.config import Settings
from bot.store.interfaces import Storage, UpdateLog
from bot.store.replica_interfaces import UpdateInbox
from bot.tg.governor import Governor
from bot.tg.inbox import InboxPoller, InboxWorker
from bot.tg.polling import Poller

if TYPE_CHECKING:  # SQLite installations never load the PostgreSQL driver
    from bot.store.postgres.replicas import ReplicaLink

log = logging.getLogger(__name__)

LEASE = "poller"
LEASE_TTL = timedelta(seconds=6)
STEP = 1.0  # the leader renews, a follower tries to take the lease, this often
BEAT = 2.0  # the heartbeat (and the clock's check against the database's)
# Renewed at t (by our monotonic clock) means held until t + TTL by the database's: stop short.
MARGIN = 1.5
CLOCK_WARNING = timedelta(seconds=2)


def replica_id() -> str:
    """A name for this process among the replicas: host, pid and a random tail."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def config_hash(settings: Settings) -> str:
    """A fingerprint of the configuration (secrets and the database's address left out)."""
    shown = settings.model_dump_json(exclude={"telegram": {"token"}, "storage": True})
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


class Replica:
    """This process's part in the replica set; ``await join()``, ``start(app)``, ``stop()``."""

    def __init__(
        self,
        link: ReplicaLink,
        store: Storage,
        clock: DatabaseClock | None,
        poll_timeout: float,
        allowed_updates: Sequence[str],
    ) -> None:
        assert isinstance(store, UpdateInbox), "replicas need the PostgreSQL backend"
        self.link = link
        self.inbox: UpdateInbox = store
        self.handled: UpdateLog = store
        self.db_clock = clock
        self.poll_timeout = poll_timeout
        self.allowed_updates = list(allowed_updates)
        self.poller: InboxPoller | None = None
        self.worker: InboxWorker | None = None
        # Alone: poll and handle directly (no inbox round trips per update).
        self.direct: Poller | None = None
        self._inbox_clear = False  # at the last heartbeat: alone, nothing pending in the inbox
        self._draining = False  # the inbox poller stopped; direct once its updates are done
        self._switch: asyncio.Task[None] | None = None  # the direct poller finishing its hand
        self.leads_since: float | None = None  # monotonic: when this replica took the lease
        self._valid_until = 0.0
        self._next_beat = 0.0
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self.governor: Governor | None = None
        self.replicas = 1  # live replicas at the last heartbeat
        self.sweep: Callable[[], Awaitable[int]] | None = None
        self.polls = True
        # Set with the cancel: on Python 3.11 wait_for (around each link query) can swallow a
        # cancel that arrives as the query returns, and the loop would go on.
        self._stopping = False

    @property
    def id(self) -> str:
        """This replica's id (also the holder of its claims)."""
        return self.link.id

    @property
    def leading(self) -> bool:
        """Whether this replica holds the poller's lease (by its last renewal)."""
        return self.leads_since is not None and time.monotonic() < self._valid_until

    @property
    def role(self) -> str:
        """``poller`` or ``worker``."""
        return "poller" if self.leading else "worker"

    async def join(self) -> None:
        """Register; warn about replicas started with a different config; set the clock."""
        for other in await self.link.join():
            log.warning(
                "replica %s runs with a different config.yaml than this one (%s): every"
                " replica must use the same configuration",
                other,
                self.id,
            )
        await self._beat()

    async def _beat(self) -> None:
        before = utc_now()
        server = await self.link.beat()
        after = utc_now()
        self._next_beat = time.monotonic() + BEAT
        live = await self.link.live()
        if self.governor is not None and live != self.replicas:
            rate = self.governor.share(live)
            log.info("replicas: %d alive; this one sends up to %.1f messages a second", live, rate)
        self.replicas = live
        # Handling directly must not overtake a stored update of the same chat.
        self._inbox_clear = live == 1 and await self.inbox.inbox_oldest_pending() is None
        if self.db_clock is None:
            return
        was = self.db_clock.offset
        offset = self.db_clock.settle(before, server, after)
        if abs(offset - was) > CLOCK_WARNING:
            log.warning(
                "this machine's clock is %.1fs off the database's; due moments use the"
                " database's time",
                -offset.total_seconds(),
            )

    def start(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        clock: Clock,
        governor: Governor | None = None,
        sweep: Callable[[], Awaitable[int]] | None = None,
        poll: bool = True,
    ) -> None:
        """Handle the inbox, and poll Telegram whenever this replica holds the lease; share
        the ``governor``'s overall rate with the other replicas; ``sweep`` at every heartbeat
        (plans the scheduled work other replicas changed). ``poll`` False: webhook mode, where
        Telegram pushes to every replica and nobody polls."""
        self.polls = poll
        self.governor = governor
        self.sweep = sweep
        if governor is not None:
            governor.share(self.replicas)
        self.worker = InboxWorker(app, self.inbox, self.handled, self.id, clock)
        self.link.on_inbox(self.worker.wake)
        self.poller = InboxPoller(
            app,
            self.inbox,
            clock,
            self.poll_timeout,
            self.allowed_updates,
            leading=lambda: self.leading,
            stored_hook=self.worker.wake,
        )
        self.direct = Poller(
            app, self.poll_timeout, self.allowed_updates, leading=lambda: self.leading
        )
        self.worker.start()
        self._task = asyncio.create_task(self._run(), name="replica")

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._step()
                if self._failing:
                    log.info("replica %s: the database answers again", self.id)
                self._failing = False
            except Exception as exc:  # noqa: BLE001 (any failure of the database or its driver)
                if not self._failing:
                    log.warning("replica %s: the database does not answer (%s)", self.id, exc)
                self._failing = True
                if self.leads_since is not None:
                    await self._lose("its database connection failed")
            await asyncio.sleep(STEP)

    async def _step(self) -> None:
        assert self.poller is not None
        if time.monotonic() >= self._next_beat:
            await self._beat()
            if self.sweep is not None:
                await self._sweep(self.sweep)
        if not self.polls:
            return
        asked = time.monotonic()
        if self.leads_since is not None:
            if not await self.link.renew(LEASE, LEASE_TTL):
                await self._lose("another replica holds the lease")
                return
        elif await self.link.try_lead(LEASE, LEASE_TTL):
            self.leads_since = asked
            log.info("replica %s: polling Telegram now (holds the poller's lease)", self.id)
        else:
            return
        self._valid_until = asked + LEASE_TTL.total_seconds() - MARGIN
        await self._poll()

    async def _poll(self) -> None:
        """Poll the way the replica set needs now: directly when alone, else into the inbox."""
        assert self.poller is not None and self.direct is not None
        if self._switch is not None:
            if not self._switch.done():
                return  # the direct poller still finishes what it holds (the lease is kept)
            self._switch = None
        if self._inbox_clear:
            if self.poller.running:
                await self.poller.stop(confirm=True)
                self._draining = True
            if self._draining:
                # What it stored last is handled before polling goes direct (chats in order).
                if await self.inbox.inbox_oldest_pending() is not None:
                    return
                self._draining = False
            if not self.direct.running:
                log.info("replica %s: alone; handles updates without the inbox", self.id)
                self.direct.start()
        elif self.direct.running:
            log.info(
                "replica %s: %d replicas; updates go through the inbox", self.id, self.replicas
            )
            self._switch = asyncio.create_task(self.direct.stop(), name="direct-poller stop")
        elif not self.poller.running:
            self.poller.start()

    @property
    def handled_count(self) -> int:
        """Updates this replica handled (through the inbox or directly)."""
        direct = self.direct.count if self.direct is not None else 0
        return direct + (self.worker.count if self.worker is not None else 0)

    async def _sweep(self, sweep: Callable[[], Awaitable[int]]) -> None:
        """Plan what others changed; a failure here (the pool's, not the link's) must not
        cost this replica the lease: the next heartbeat tries again."""
        try:
            await sweep()
        except Exception as exc:  # noqa: BLE001 — any failure of the database or its driver
            log.warning("replica %s: planning scheduled work failed (%s)", self.id, exc)

    async def _lose(self, why: str) -> None:
        """Stop polling at once: another replica may be polling already."""
        self.leads_since = None
        self._valid_until = 0.0
        log.warning("replica %s: stops polling, %s", self.id, why)
        if self.poller is not None:
            await self.poller.stop(confirm=False)
        if self.direct is not None:
            await self.direct.stop(confirm=False)

    async def stop(self) -> None:
        """Stop polling (the lease goes to another at once), finish the updates in hand."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._switch is not None:
            await self._switch
            self._switch = None
        if self.poller is not None:
            await self.poller.stop(confirm=True)
        if self.direct is not None:
            await self.direct.stop(confirm=self.leading)
        if self.leads_since is not None:
            self.leads_since = None
            with contextlib.suppress(Exception):
                await self.link.resign(LEASE)
        if self.worker is not None:
            await self.worker.stop()

    async def close(self) -> None:
        """Leave the replica set and close the link (after ``stop``)."""
        await self.link.close()
