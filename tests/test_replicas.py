"""Replicas in-process: two bots on one PostgreSQL, the fake's 409, the shared pace, the clock.

The three-process run under load is tests/test_replicas_e2e.py (a soak); the storage races
are tests/test_replicas_store.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bot.clock import DatabaseClock
from bot.core.actions import SYSTEM, Escalate
from bot.core.lifecycle import decide
from bot.core.outcomes import Refusal
from bot.loading import load_all
from bot.store.postgres import PostgresStore
from bot.tg.governor import Governor
from bot.tg.health import health
from bot.tg.replicas import Replica
from bot.tg.runtime import BotRuntime, RuntimeOptions
from tests.fakebot import FakeBotApi
from tests.harness import ROOT, TOKEN, FakeClock, Words, expect, register_staff, settings_for
from tests.pg import pg_server, pg_url  # noqa: F401


def test_the_database_clock_takes_the_servers_time_half_way() -> None:
    clock = DatabaseClock()
    before = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    server = before + timedelta(minutes=5)  # this machine is five minutes slow
    offset = clock.settle(before, server, before + timedelta(milliseconds=20))
    assert offset == timedelta(minutes=5) - timedelta(milliseconds=10)
    assert abs(clock() - (datetime.now(UTC) + offset)) < timedelta(seconds=1)


def test_the_governor_takes_its_share_of_every_limit() -> None:
    governor = Governor(30.0, 1.0, 20.0)
    assert governor.share(3) == 10.0
    rate, burst = governor._limits(42)
    assert (rate, burst) == (1.0 / 3, 1.0)
    rate, _ = governor._limits(-100)
    assert abs(rate - 20 / 60 / 3) < 1e-9
    assert governor.share(1) == 30.0


async def test_a_second_getupdates_ends_the_first_with_409(fake: FakeBotApi) -> None:
    base = f"{fake.url}{TOKEN}/getUpdates"
    async with httpx.AsyncClient() as client:
        first = asyncio.create_task(client.post(base, json={"timeout": 5}))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(client.post(base, json={"timeout": 0}))
        older, newer = await first, await second
    assert older.status_code == 409 and "terminated by other getUpdates" in older.text
    assert newer.status_code == 200


def _direct(replica: Replica) -> bool:
    return replica.direct is not None and replica.direct.running


def _inboxed(replica: Replica) -> bool:
    return replica.poller is not None and replica.poller.running and not _direct(replica)


async def _until(ready: Callable[[], bool], within: float = 8.0) -> None:
    """Wait until ``ready()`` (a heartbeat is every 2 s), or fail."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not ready():
        assert loop.time() < end, "not within the time a heartbeat takes"
        await asyncio.sleep(0.05)


def _options() -> RuntimeOptions:
    return RuntimeOptions(clock=FakeClock(), poll_timeout=1.0, outbox_idle=0.05, timer_nap=0.05)


async def test_two_replicas_one_poller_and_the_other_takes_over(
    fake: FakeBotApi,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = settings_for(fake, tmp_path / "unused.sqlite3", db_url=pg_url)
    register_staff(fake, settings)
    _, flows = load_all(ROOT / "config.yaml")
    first, second = BotRuntime(settings, flows, _options()), BotRuntime(settings, flows, _options())
    w = Words(settings, "en")
    users = [fake.user(4100 + i, language_code="en") for i in range(6)]
    await first.start()
    conn = await asyncpg.connect(pg_url)
    try:
        assert first.replica is not None
        await _until(lambda: first.replica is not None and _direct(first.replica))
        # Alone, a replica handles updates as a single bot does: nothing goes through the inbox.
        await users[0].command("/new")
        await expect(users[0], w.t("intake.ask_what"), wait=10)
        assert await conn.fetchval("SELECT COUNT(*) FROM inbox") == 0
        await second.start()  # PostgreSQL: a second replica is welcome, not refused
        assert second.replica is not None
        assert first.replica.role == "poller" and second.replica.role == "worker"
        # At its next heartbeat the poller counts two replicas and stores updates first.
        await _until(lambda: first.replica is not None and _inboxed(first.replica))
        for user in users[1:]:
            await user.command("/new")
        for user in users[1:]:
            await expect(user, w.t("intake.ask_what"), wait=10)
        # The replicas handled them between them, each update once, through the inbox.
        replicas = [r.replica for r in (first, second) if r.replica is not None]
        await _until(lambda: sum(r.handled_count for r in replicas) >= 6)
        assert sum(r.handled_count for r in replicas) == 6
        assert await conn.fetchval("SELECT COUNT(*) FROM inbox WHERE status = 'done'") == 5
        stopped = asyncio.get_running_loop().time()
        await first.stop()  # the lease is given up: the other polls at once
        for _ in range(100):
            if second.replica.role == "poller":
                break
            await asyncio.sleep(0.05)
        assert second.replica.role == "poller"
        assert asyncio.get_running_loop().time() - stopped < 5
        # Alone again, with the inbox drained: direct once more.
        await _until(lambda: second.replica is not None and _direct(second.replica))
        await users[0].send("The front door lock is broken")
        await expect(users[0], "The front door lock is broken", wait=10)  # the report's card
        report = await health(second.store, second.services.clock, second.replica)  # type: ignore[arg-type, union-attr]
        assert report["ok"] and report["role"] == "poller" and report["database"] == "ok"
        assert (report["oldest_unhandled_update_seconds"] or 0.0) < 5
    finally:
        await second.stop()
        await first.stop()
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM inbox WHERE status = 'pending'") == 0
        assert await conn.fetchval("SELECT COUNT(*) FROM replicas") == 0  # both signed off
        assert await conn.fetchval("SELECT COUNT(*) FROM leases") == 0
    finally:
        await conn.close()


async def test_health_says_when_the_database_is_gone(pg_url: str) -> None:  # noqa: F811
    store = await PostgresStore.open(pg_url)
    report = await health(store, FakeClock())
    assert report["ok"] and report["role"] == "single" and report["outbox_pending"] == 0
    await store.close()
    report = await health(store, FakeClock())
    assert not report["ok"] and report["database"].startswith("unreachable")


def test_a_replica_that_lost_the_race_does_not_escalate_the_next_deadline() -> None:
    from tests.test_lifecycle import NOW, A
    from tests.test_lifecycle import ticket as make_ticket

    ticket = make_ticket(A, assignee=2001)
    stale = ticket.accept_due - timedelta(minutes=30)  # the one before, escalated elsewhere
    result = decide(ticket, Escalate("accept", None, stale), SYSTEM, NOW)
    assert isinstance(result, Refusal) and result.code == "no_change"
    fresh = decide(ticket, Escalate("accept", None, ticket.accept_due), SYSTEM, NOW)
    assert not isinstance(fresh, Refusal)
