"""The SQLite connection every aggregate shares: opening, migrating, and its transactions.

One connection, serialised by a lock: a transaction of one task never interleaves with another
task's statements, and each state change commits together with its events and outbox messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.store.errors import SchemaTooNew
from bot.store.seam import Seam
from bot.store.sqlite.schema import MIGRATIONS

# The name the schema-upgrade lines were always logged under (admins filter on it).
log = logging.getLogger("bot.store")


def ts(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO strings, which sort as time does."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def dt(text: str) -> datetime:
    """Read a stored timestamp back (aware, UTC)."""
    return datetime.fromisoformat(text)


def opt_dt(text: str | None) -> datetime | None:
    """A stored timestamp that may be missing."""
    return dt(text) if text else None


class SqliteBase(Seam):
    """The connection and its lock; every aggregate's SQLite class builds on it."""

    # The seam the shared reads (bot.store.reads) run over.
    _at = staticmethod(ts)
    _read = staticmethod(dt)

    @staticmethod
    def _json(column: str, key: str) -> str:
        """``json_extract(column, '$.key')``."""
        return f"json_extract({column}, '$.{key}')"

    @staticmethod
    def _among(column: str, values: Collection[Any], kind: str = "text") -> tuple[str, list[Any]]:
        """``column IN (?, …)`` (``IN (NULL)``, true of nothing, for no values)."""
        return f"{column} IN ({', '.join('?' * len(values)) or 'NULL'})", list(values)

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Self:
        """Open (creating if needed) the database file and bring its schema up to date."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = FULL")  # a shown ticket number survives power loss
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
        store = cls(db)
        try:
            await store._migrate()
        except BaseException:
            await db.close()  # its thread would otherwise keep the process alive
            raise
        return store

    async def close(self) -> None:
        """Close the connection."""
        async with self._lock:
            await self._db.close()

    async def _migrate(self) -> None:
        """Apply the migrations the file has not seen yet (tracked in ``user_version``)."""
        async with self._lock:
            version = await self._version()
            if version > len(MIGRATIONS):
                # A newer release upgraded this file: writing to it could lose what it added.
                raise SchemaTooNew(version, len(MIGRATIONS))
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                if version > 0:  # a new file is quick; an old one may build indexes on millions
                    log.info(
                        "database: updating the schema to version %d of %d (on a large"
                        " database this can take minutes; do not stop the bot)",
                        number,
                        len(MIGRATIONS),
                    )
                await self._db.executescript(
                    f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;"
                )

    async def _version(self) -> int:
        row = await (await self._db.execute("PRAGMA user_version")).fetchone()
        return int(row[0]) if row else 0

    async def schema_version(self) -> int:
        """The schema version the database is at (the number of migrations applied)."""
        async with self._lock:
            return await self._version()

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, alone on the connection."""
        async with self._lock:
            try:
                # A statement runs on the connection's thread even when the task awaiting it is
                # cancelled, in the order it was queued: so a cancelled BEGIN (or COMMIT) is
                # always followed by this ROLLBACK, and the next writer finds no open transaction.
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # nothing open if BEGIN or COMMIT ended it
                    await self._db.execute("ROLLBACK")
                raise

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement, committed on its own: SQLite makes a lone statement atomic, and it
        costs one trip to the connection's thread where BEGIN … COMMIT costs three."""
        await self._change(sql, params)

    async def _change(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement, committed on its own (as ``_write``); how many rows it touched."""
        async with self._lock:
            return (await self._db.execute(sql, params)).rowcount

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            cursor = await self._db.execute(sql, params)
            return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    # The seam's reads: one statement alone on the connection, under the lock.
    _rows = _fetchall
    _row = _fetchone

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Run one statement alone on the connection and return its rows (tests and tools).

        SQLite only and on no interface: the bot itself goes through the Protocols.
        """
        # A lone write (e.g. INSERT … RETURNING) commits by itself: the connection autocommits.
        return await self._fetchall(sql, params)
