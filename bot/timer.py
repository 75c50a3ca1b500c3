"""The alarm clock: runs work at moments of the one clock (bot.clock), never the wall clock.

APScheduler (PTB's JobQueue) compares its triggers with the machine's real time, so work planned
from an injected clock fired at once or never whenever the two disagreed — a test's clock, a demo
that fast-forwards, a process started under faketime. This timer asks the injected clock what time
it is on every wake-up and naps at most ``nap`` seconds, so a clock that jumps is noticed at once.

Entries are only a cache of due times kept in the database (docs/architecture.md, "Time"): each
action re-reads what it acts on, so one that runs late, after a restart, or twice does no harm.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import Clock

log = logging.getLogger(__name__)

Action = Callable[[], Awaitable[object]]


class Timer:
    """Runs an action when the clock reaches its moment; one pending moment per key."""

    def __init__(self, clock: Clock, nap: float = 1.0) -> None:
        self._clock = clock
        self._nap = nap
        self._heap: list[tuple[datetime, int, str]] = []
        self._entries: dict[str, tuple[datetime, int, Action]] = {}
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        # Came due again while still running: runs once the first run ends, never beside it.
        self._deferred: dict[str, tuple[datetime, Action]] = {}
        self._stopping = False

    def at(self, key: str, when: datetime, action: Action) -> None:
        """Run ``action`` once the clock reads ``when`` (at once if past); replaces ``key``."""
        seq = next(self._seq)
        self._entries[key] = (when, seq, action)
        heapq.heappush(self._heap, (when, seq, key))
        self._wake.set()

    def cancel(self, key: str) -> None:
        """Forget the key's pending moment, if any."""
        self._entries.pop(key, None)
        self._deferred.pop(key, None)

    def due_at(self, key: str) -> datetime | None:
        """When the key's action will run, or None."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def keys(self) -> list[str]:
        """Every key with a pending moment."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def start(self) -> None:
        """Begin waking up (inside the running event loop)."""
        if self._loop_task is None:
            self._stopping = False
            self._loop_task = asyncio.create_task(self._run(), name="timer")

    async def stop(self, grace: float = 2.0) -> None:
        """Stop waking up; give running actions ``grace`` seconds, then cancel them."""
        if self._loop_task is not None:
            # A flag as well: on Python 3.11 wait_for can swallow a cancel that arrives with
            # a wake-up, and the loop would go on.
            self._stopping = True
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._running:
            _, late = await asyncio.wait(set(self._running.values()), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)

    async def run_due(self) -> int:
        """Run every action that is due now and wait for them; returns how many ran."""
        tasks = self._start_due()
        if tasks:
            await asyncio.wait(tasks)
        return len(tasks)

    def _start_due(self) -> list[asyncio.Task[None]]:
        now = self._clock()
        started = []
        while self._heap and self._heap[0][0] <= now:
            _, seq, key = heapq.heappop(self._heap)
            entry = self._entries.get(key)
            if entry is None or entry[1] != seq:
                continue  # replaced or cancelled since
            del self._entries[key]
            if key in self._running:
                self._deferred[key] = (entry[0], entry[2])
                continue
            task = asyncio.create_task(self._call(key, entry[2]), name=f"timer:{key}")
            self._running[key] = task
            task.add_done_callback(functools.partial(self._finished, key))
            started.append(task)
        return started

    def _finished(self, key: str, _task: asyncio.Task[None]) -> None:
        del self._running[key]
        deferred = self._deferred.pop(key, None)
        if deferred is not None and key not in self._entries:
            self.at(key, *deferred)

    async def _call(self, key: str, action: Action) -> None:
        try:
            await action()
        except Exception:  # one failing action must not stop the others
            log.exception("scheduled %s failed", key)

    def _sleep_for(self) -> float:
        """Seconds until the next moment by our clock, at most one nap."""
        while self._heap:
            when, seq, key = self._heap[0]
            entry = self._entries.get(key)
            if entry is not None and entry[1] == seq:
                left = (when - self._clock()).total_seconds()
                return max(0.0, min(self._nap, left))
            heapq.heappop(self._heap)  # a replaced or cancelled entry
        return self._nap

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            self._start_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._sleep_for())
