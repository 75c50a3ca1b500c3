"""The one clock: every due moment is computed from it and every timer wakes by it.

Production uses :func:`utc_now`. A :class:`ShiftedClock` ticks at real speed from a chosen
instant and can be moved forward: the end-to-end tests run on it (so they pass whatever the real
date and hour), and a demo can fast-forward it. See docs/architecture.md, "Time".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock, in UTC."""
    return datetime.now(UTC)


class ShiftedClock:
    """A clock that starts at ``start`` and ticks with real elapsed time; ``advance`` jumps."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start needs a timezone")
        self._start = start
        # Monotonic: the machine's own clock may be moved (NTP, faketime) without moving ours.
        self._origin = time.monotonic()
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin) + self._offset

    def advance(self, **delta: float) -> None:
        """Move the clock forward (``advance(minutes=10)``)."""
        step = timedelta(**delta)
        if step < timedelta(0):
            raise ValueError("a clock only moves forward")
        self._offset += step


class DatabaseClock:
    """The real clock set by the database's: replicas on one PostgreSQL agree on the time.

    A machine whose clock is off by minutes would otherwise fire a deadline early (or late).
    ``settle`` is given a reading of the server's clock and the real clock just before and
    after it; the error left is at most half that round trip.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def settle(self, before: datetime, server: datetime, after: datetime) -> timedelta:
        """Take the server's reading as the time half-way through the round trip."""
        self.offset = server - (before + (after - before) / 2)
        return self.offset
