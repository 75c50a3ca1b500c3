"""Replicas on one PostgreSQL, at the storage level: outbox claims, the inbox, the poller's lease.

Each test opens several stores (separate pools, as separate processes would) on one throwaway
database and races them: a message is claimed once, an update is claimed once and in order
per chat and sender, one replica holds the lease and another takes it when the first's session
dies.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.core.models import Outgoing
from bot.store.postgres import PostgresStore
from bot.store.postgres.replicas import ReplicaLink
from bot.store.replica_interfaces import StoredUpdate
from tests.pg import pg_server, pg_url  # noqa: F401

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
TTL = timedelta(seconds=6)


@pytest.fixture
async def stores(pg_url: str) -> AsyncIterator[list[PostgresStore]]:  # noqa: F811
    """Three stores on one fresh database."""
    opened = [await PostgresStore.open(pg_url) for _ in range(3)]
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()


async def _links(url: str, n: int) -> list[ReplicaLink]:
    links = [ReplicaLink(url, f"r{i}", "test", "same") for i in range(n)]
    for link in links:
        assert await link.join() == []
    return links


async def test_three_workers_racing_claim_each_message_once(
    stores: list[PostgresStore],
    pg_url: str,  # noqa: F811
) -> None:
    links = await _links(pg_url, 3)
    await stores[0].enqueue([Outgoing(1000 + i, f"m{i}") for i in range(120)], NOW)
    won: dict[int, list[str]] = {}

    async def worker(store: PostgresStore, holder: str) -> None:
        while True:
            due = await store.due_outbox(NOW)
            if not due:
                return
            # Each worker reads the same heads and tries a handful of them, as a busy one does.
            ids = [item.id for item in random.sample(due, min(len(due), 10))]
            claimed = await store.outbox_claim(ids, holder)
            for item_id in claimed:
                won.setdefault(item_id, []).append(holder)
            await asyncio.sleep(0.005)  # "sending": the others race for the same heads
            for item_id in claimed:
                await store.outbox_sent(item_id, 1, NOW)

    await asyncio.gather(*(worker(s, link.id) for s, link in zip(stores, links, strict=True)))
    assert len(won) == 120
    assert all(len(holders) == 1 for holders in won.values()), won
    assert len({h for holders in won.values() for h in holders}) >= 2  # really shared
    for link in links:
        await link.close()


async def test_a_claim_of_a_dead_replica_is_taken_again_a_live_ones_never(
    stores: list[PostgresStore],
    pg_url: str,  # noqa: F811
) -> None:
    alive, dead = await _links(pg_url, 2)
    await stores[0].enqueue([Outgoing(7, "hello")], NOW)
    (item,) = await stores[0].due_outbox(NOW)
    assert await stores[0].outbox_claim([item.id], alive.id) == {item.id}
    assert await stores[1].outbox_claim([item.id], dead.id) == set()
    await stores[0].outbox_release(alive.id, item.id)
    assert await stores[1].outbox_claim([item.id], dead.id) == {item.id}
    # ``dead`` stops beating: after ALIVE its claim is free; a retry gives it back at once.
    conn = await asyncpg.connect(pg_url)
    await conn.execute(
        "UPDATE replicas SET seen_at = now() - interval '1 minute' WHERE id = $1", dead.id
    )
    await conn.close()
    assert await stores[0].outbox_claim([item.id], alive.id) == {item.id}
    await stores[0].outbox_retry(item.id, NOW, "503")
    assert await stores[1].outbox_claim([item.id], "someone") == {item.id}
    for link in (alive, dead):
        await link.close()


def _update(update_id: int, chat: int, user: int) -> StoredUpdate:
    return StoredUpdate(update_id, chat, user, {"update_id": update_id})


async def test_inbox_claims_once_and_in_order_per_chat_and_sender(
    stores: list[PostgresStore],
    pg_url: str,  # noqa: F811
) -> None:
    links = await _links(pg_url, 3)
    # Chats 1..6 each get 5 updates; user 100 writes in chats 1 and 2 (a group and private).
    updates = []
    for n in range(30):
        chat = n % 6 + 1
        updates.append(_update(1000 + n, chat, 100 if chat in (1, 2) else 100 + chat))
    await stores[0].inbox_add(updates[:15], NOW)
    await stores[1].inbox_add(updates[10:], NOW)  # overlapping: a leader change re-stores
    assert await stores[2].inbox_next_offset() == 1030
    handled: list[tuple[str, int]] = []
    in_hand: set[int] = set()
    by_id = {u.update_id: u for u in updates}

    async def worker(store: PostgresStore, holder: str) -> None:
        idle = 0
        while idle < 5:
            claimed = await store.inbox_claim(holder, 4)
            idle = 0 if claimed else idle + 1
            for u in claimed:
                mine = by_id[u.update_id]
                # Nothing earlier of the same chat or sender is still pending or in hand.
                for other in in_hand:
                    o = by_id[other]
                    assert o.chat_id != mine.chat_id and o.user_id != mine.user_id
                in_hand.add(u.update_id)
            await asyncio.sleep(0.01)
            for u in claimed:
                handled.append((holder, u.update_id))
                in_hand.discard(u.update_id)
                assert await store.inbox_done(u.update_id, holder, NOW)

    await asyncio.gather(*(worker(s, link.id) for s, link in zip(stores, links, strict=True)))
    ids = [u for _, u in handled]
    assert sorted(ids) == [u.update_id for u in updates]  # each exactly once
    for chat in range(1, 7):
        mine = [u for u in ids if by_id[u].chat_id == chat]
        assert mine == sorted(mine)
    assert await stores[0].inbox_oldest_pending() is None
    for link in links:
        await link.close()


async def test_a_dead_replicas_updates_are_claimed_again_and_release_gives_back(
    stores: list[PostgresStore],
    pg_url: str,  # noqa: F811
) -> None:
    first, second = await _links(pg_url, 2)
    await stores[0].inbox_add([_update(1, 1, 1), _update(2, 1, 1)], NOW)
    assert [u.update_id for u in await stores[0].inbox_claim(first.id, 8)] == [1]
    assert await stores[1].inbox_claim(second.id, 8) == []  # 2 waits for 1
    assert await stores[0].inbox_release(first.id) == 1
    (again,) = await stores[1].inbox_claim(second.id, 8)
    assert (again.update_id, again.attempts) == (1, 2)
    assert not await stores[0].inbox_done(1, first.id, NOW)  # no longer first's
    await first.close()
    await second.close()


async def test_one_lease_holder_and_a_dead_sessions_lease_is_taken_at_once(
    stores: list[PostgresStore],
    pg_url: str,  # noqa: F811
) -> None:
    a, b = await _links(pg_url, 2)
    assert await a.try_lead("poller", TTL)
    assert not await b.try_lead("poller", TTL)
    assert await a.renew("poller", TTL) and not await b.renew("poller", TTL)
    assert await b.holder("poller") == a.id
    # The leader's session is cut (its connection to the database lost).
    conn = await asyncpg.connect(pg_url)
    pid = await conn.fetchval("SELECT holder_pid FROM leases WHERE name = 'poller'")
    assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    await conn.close()
    for _ in range(50):
        if await b.try_lead("poller", TTL):
            break
        await asyncio.sleep(0.05)
    assert await b.holder("poller") == b.id
    # The old leader learns it on its next renewal (its new session is not the holder).
    assert not await a.renew("poller", TTL)
    await b.resign("poller")
    assert await a.try_lead("poller", TTL)
    await a.close()
    await b.close()


async def test_an_expired_lease_is_taken_and_a_different_config_is_named(
    stores: list[PostgresStore],
    pg_url: str,  # noqa: F811
) -> None:
    a = ReplicaLink(pg_url, "a", "host-a", "hash-1")
    b = ReplicaLink(pg_url, "b", "host-b", "hash-2")
    assert await a.join() == []
    assert await b.join() == ["a on host-a"]
    assert await a.try_lead("poller", timedelta(milliseconds=200))
    await asyncio.sleep(0.3)  # a hung leader stops renewing
    assert await b.try_lead("poller", TTL)
    assert not await a.renew("poller", TTL)
    await a.close()
    await b.close()
