"""The timer wakes by the bot's clock, not the wall clock; one run per key at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ShiftedClock
from bot.timer import Timer
from tests.harness import FakeClock

# Years away from any real date the suite may run on, in either direction.
FAR_PAST = datetime(2001, 3, 4, 5, 6, tzinfo=UTC)
FAR_FUTURE = datetime(2061, 7, 8, 9, 10, tzinfo=UTC)


async def settle(rounds: int = 5) -> None:
    """Let the timer's loop and its tasks run."""
    for _ in range(rounds):
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("start", [FAR_PAST, FAR_FUTURE])
async def test_a_standing_clock_fires_only_what_it_says_is_due(start: datetime) -> None:
    clock = FakeClock(start)
    timer = Timer(clock, nap=0.01)
    fired: list[str] = []

    async def mark(name: str) -> None:
        fired.append(name)

    timer.at("past", start - timedelta(days=400), lambda: mark("past"))
    timer.at("now", start, lambda: mark("now"))
    timer.at("soon", start + timedelta(minutes=5), lambda: mark("soon"))
    timer.start()
    try:
        await settle()
        assert sorted(fired) == ["now", "past"]  # the real date plays no part
        clock.advance(minutes=4, seconds=59)
        await settle()
        assert "soon" not in fired
        clock.advance(seconds=1)
        await settle()
        assert fired.count("soon") == 1
        assert len(timer) == 0
    finally:
        await timer.stop()


async def test_a_jump_of_a_ticking_clock_is_noticed_within_a_nap() -> None:
    clock = ShiftedClock(FAR_FUTURE)
    timer = Timer(clock, nap=0.05)
    done = asyncio.Event()

    async def fire() -> None:
        done.set()

    timer.at("tomorrow", FAR_FUTURE + timedelta(days=1), fire)
    timer.start()
    try:
        await settle()
        assert not done.is_set()
        clock.advance(days=1)
        await asyncio.wait_for(done.wait(), 1.0)
    finally:
        await timer.stop()


async def test_replace_cancel_and_a_failing_action() -> None:
    clock = FakeClock(FAR_FUTURE)
    timer = Timer(clock, nap=0.01)
    fired: list[str] = []

    async def mark(name: str) -> None:
        fired.append(name)

    async def boom() -> None:
        raise RuntimeError("broken action")

    timer.at("a", FAR_FUTURE + timedelta(hours=1), lambda: mark("a-first"))
    timer.at("a", FAR_FUTURE + timedelta(hours=2), lambda: mark("a-second"))  # replaces
    timer.at("b", FAR_FUTURE, lambda: mark("b"))
    timer.cancel("b")
    timer.at("c", FAR_FUTURE, boom)
    timer.at("d", FAR_FUTURE, lambda: mark("d"))
    assert timer.due_at("a") == FAR_FUTURE + timedelta(hours=2)
    timer.start()
    try:
        clock.advance(hours=3)
        await settle()
        assert sorted(fired) == ["a-second", "d"]
    finally:
        await timer.stop()


async def test_a_key_due_again_while_running_runs_after_not_beside() -> None:
    clock = FakeClock(FAR_PAST)
    timer = Timer(clock, nap=0.01)
    running = 0
    most = 0
    runs = 0
    release = asyncio.Event()

    async def slow() -> None:
        nonlocal running, most, runs
        running += 1
        most = max(most, running)
        runs += 1
        await release.wait()
        running -= 1

    timer.at("k", FAR_PAST, slow)
    timer.start()
    try:
        await settle()
        timer.at("k", FAR_PAST, slow)  # due again while the first run is still going
        await settle()
        assert (runs, most) == (1, 1)
        release.set()
        await settle()
        assert (runs, most) == (2, 1)
    finally:
        await timer.stop()


async def test_stop_cancels_what_overstays_its_grace() -> None:
    clock = FakeClock(FAR_PAST)
    timer = Timer(clock, nap=0.01)
    cancelled = asyncio.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    timer.at("x", FAR_PAST, forever)
    timer.start()
    await settle()
    await timer.stop(grace=0.05)
    assert cancelled.is_set()
