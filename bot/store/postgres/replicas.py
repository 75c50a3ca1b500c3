"""Replicas on one PostgreSQL: heartbeats, the poller's lease, and the update inbox.

Several ``python -m bot run`` on one database work as one bot (docs/architecture.md,
"Replicas"). Each replica has a row in ``replicas`` it touches every couple of seconds from a
connection of its own (``ReplicaLink``); a replica whose row is older than ``ALIVE`` is dead,
and whatever it had claimed (an update, an outbox message) may be taken by another. Every
moment compared here is the database's ``now()``, so a replica's own clock never decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.store.postgres.db import PgBase, connect, rowcount
from bot.store.replica_interfaces import StoredUpdate

log = logging.getLogger(__name__)

ALIVE = timedelta(seconds=10)
"""A replica not heard of for this long is dead: its claims are free for the others."""
INBOX_CHANNEL = "estatedesk_inbox"
"""LISTEN/NOTIFY channel: an update was stored or finished (another may be free now)."""
KEEP_HANDLED = 10_000

# A holder is alive while its heartbeat is fresh (by the database's clock).
_ALIVE_SQL = (
    "EXISTS (SELECT 1 FROM replicas r WHERE r.id = {col} AND r.seen_at > now() - $%d::interval)"
)


def _alive(col: str, param: int) -> str:
    return _ALIVE_SQL.format(col=col) % param


class PgInbox(PgBase):
    """The update inbox: stored before Telegram is told, claimed by one replica, in order."""

    async def inbox_add(self, updates: Sequence[StoredUpdate], now: datetime) -> None:
        """Store updates (a repeat of one already stored is ignored); wakes the replicas."""
        async with self._tx() as db:
            await db.executemany(
                "INSERT INTO inbox (update_id, chat_id, user_id, payload, received_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (update_id) DO NOTHING",
                [(u.update_id, u.chat_id, u.user_id, json.dumps(u.payload), now) for u in updates],
            )
            await db.execute("SELECT pg_notify($1, '')", INBOX_CHANNEL)
        newest = max((u.update_id for u in updates), default=0)
        if newest % 500 < len(updates):  # now and then is enough
            await self._pool.execute(
                "DELETE FROM inbox WHERE status = 'done' AND update_id < $1", newest - KEEP_HANDLED
            )

    async def inbox_next_offset(self) -> int | None:
        """The getUpdates offset that confirms everything stored (None: nothing stored)."""
        newest = await self._pool.fetchval("SELECT MAX(update_id) FROM inbox")
        return None if newest is None else int(newest) + 1

    async def inbox_claim(self, holder: str, limit: int) -> list[StoredUpdate]:
        """Claim up to ``limit`` updates no earlier unfinished one of their chat or sender
        waits before; an update claimed by a dead replica is claimed again."""
        rows = await self._pool.fetch(
            "WITH c AS (SELECT i.update_id FROM inbox i WHERE i.status = 'pending'"
            f" AND (i.claimed_by IS NULL OR NOT {_alive('i.claimed_by', 3)})"
            " AND NOT EXISTS (SELECT 1 FROM inbox e WHERE e.status = 'pending'"
            " AND e.update_id < i.update_id AND (e.chat_id = i.chat_id OR e.user_id = i.user_id))"
            " ORDER BY i.update_id LIMIT $2 FOR UPDATE OF i SKIP LOCKED)"
            " UPDATE inbox SET claimed_by = $1, attempts = inbox.attempts + 1 FROM c"
            " WHERE inbox.update_id = c.update_id"
            " RETURNING inbox.update_id, inbox.chat_id, inbox.user_id, inbox.payload,"
            " inbox.attempts",
            holder,
            limit,
            ALIVE,
        )
        found = [
            StoredUpdate(
                r["update_id"], r["chat_id"], r["user_id"], json.loads(r["payload"]), r["attempts"]
            )
            for r in rows
        ]
        return sorted(found, key=lambda u: u.update_id)

    async def inbox_done(self, update_id: int, holder: str, now: datetime) -> bool:
        """An update is handled; False if it was not (or no longer) this holder's."""
        # One statement, one round trip: the NOTIFY is sent when it commits. It tells the
        # other replicas that the chat's next update may be free now.
        done = await self._pool.fetchval(
            "WITH d AS (UPDATE inbox SET status = 'done', done_at = $3"
            " WHERE update_id = $1 AND claimed_by = $2 AND status = 'pending' RETURNING 1)"
            " SELECT (SELECT COUNT(*) FROM d) FROM pg_notify($4, '')",
            update_id,
            holder,
            now,
            INBOX_CHANNEL,
        )
        return bool(done == 1)

    async def inbox_release(self, holder: str) -> int:
        """Give back the holder's unfinished claims (stopping); how many."""
        status = await self._pool.execute(
            "UPDATE inbox SET claimed_by = NULL WHERE claimed_by = $1 AND status = 'pending'",
            holder,
        )
        return rowcount(status)

    async def inbox_oldest_pending(self) -> datetime | None:
        """When the oldest update not yet handled was stored, or None."""
        value = await self._pool.fetchval(
            "SELECT MIN(received_at) FROM inbox WHERE status = 'pending'"
        )
        return value if isinstance(value, datetime) else None


class ReplicaLink:
    """One replica's own connection: its heartbeat, its leases, and the inbox's wake-ups.

    Kept apart from the pool so a busy pool never delays a heartbeat, and so the poller's
    lease names this session: a lease whose holder's session is gone is free at once.
    """

    def __init__(self, url: str, replica_id: str, host: str, config_hash: str) -> None:
        self.url = url
        self.id = replica_id
        self.host = host
        self.config_hash = config_hash
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []

    def on_inbox(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever any replica stores or finishes an update."""
        self._listeners.append(wake)

    def _notified(self, *_args: object) -> None:
        for wake in self._listeners:
            wake()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            if self._conn is not None:
                self._conn.terminate()  # cut by the server: let go of what is left of it
                self._conn = None
            conn = await connect(self.url, self.id)
            await conn.add_listener(INBOX_CHANNEL, self._notified)
            self._conn = conn
        return self._conn

    async def _call(self, query: str, *args: Any) -> Any:
        """One statement on the link (reconnecting if the last one was cut); its value."""
        async with self._lock:
            conn = await self._connection()
            try:
                return await asyncio.wait_for(conn.fetchval(query, *args), 5.0)
            except BaseException:
                # A cut or stuck session: drop it, so the next call starts a new one.
                self._conn = None
                conn.terminate()
                raise

    async def join(self) -> list[str]:
        """Register this replica; the ids of live replicas started with another config."""
        await self._call(
            "INSERT INTO replicas (id, host, config_hash, started_at, seen_at)"
            " VALUES ($1, $2, $3, now(), now()) ON CONFLICT (id) DO UPDATE"
            " SET seen_at = now(), config_hash = excluded.config_hash",
            self.id,
            self.host,
            self.config_hash,
        )
        others = await self._call(
            "SELECT COALESCE(json_agg(id || ' on ' || host), '[]') FROM replicas"
            " WHERE id <> $1 AND config_hash <> $2 AND seen_at > now() - $3::interval",
            self.id,
            self.config_hash,
            ALIVE,
        )
        return [str(x) for x in json.loads(others)]

    async def beat(self) -> datetime:
        """Touch this replica's heartbeat; returns the database's time."""
        now = await self._call(
            "UPDATE replicas SET seen_at = now() WHERE id = $1 RETURNING clock_timestamp()",
            self.id,
        )
        if now is None:  # removed meanwhile (a clean-up by hand): register again
            await self.join()
            now = await self._call("SELECT clock_timestamp()")
        assert isinstance(now, datetime)
        return now

    async def live(self) -> int:
        """How many replicas are alive now (this one included)."""
        value = await self._call(
            "SELECT COUNT(*) FROM replicas WHERE seen_at > now() - $1::interval", ALIVE
        )
        return max(int(value or 0), 1)

    async def try_lead(self, name: str, ttl: timedelta) -> bool:
        """Take the lease ``name`` if it is free, expired, or its holder's session is gone."""
        holder = await self._call(
            "INSERT INTO leases (name, holder, holder_pid, since, expires_at)"
            " VALUES ($1, $2, pg_backend_pid(), now(), now() + $3::interval)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " holder_pid = excluded.holder_pid, since = excluded.since,"
            " expires_at = excluded.expires_at"
            " WHERE leases.expires_at < now() OR leases.holder = excluded.holder"
            " OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = leases.holder_pid)"
            " RETURNING holder",
            name,
            self.id,
            ttl,
        )
        return bool(holder == self.id)

    async def renew(self, name: str, ttl: timedelta) -> bool:
        """Extend a lease held from this very session; False if it is not ours any more."""
        held = await self._call(
            "UPDATE leases SET expires_at = now() + $3::interval WHERE name = $1 AND holder = $2"
            " AND holder_pid = pg_backend_pid() RETURNING true",
            name,
            self.id,
            ttl,
        )
        return held is True

    async def resign(self, name: str) -> None:
        """Give a lease up (stopping), so another replica takes it at once."""
        await self._call("DELETE FROM leases WHERE name = $1 AND holder = $2", name, self.id)

    async def holder(self, name: str) -> str | None:
        """Who holds a lease now (None: nobody, or it expired)."""
        value = await self._call(
            "SELECT holder FROM leases WHERE name = $1 AND expires_at > now()", name
        )
        return None if value is None else str(value)

    async def close(self, leave: bool = True) -> None:
        """Leave the replica set (the row goes) and close the connection."""
        if leave:
            # If this fails, the heartbeat's age says the same soon enough.
            with contextlib.suppress(Exception):
                await self._call("DELETE FROM replicas WHERE id = $1", self.id)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5.0)
            conn.terminate()  # a no-op once closed; frees a session that would not close
