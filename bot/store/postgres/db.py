"""The PostgreSQL connection pool every aggregate shares: opening, migrating, transactions.

Each transaction takes its own pooled connection, so transactions run side by side and
PostgreSQL's row locks (not a lock in this process) keep them apart: a compare-and-set reads
its row ``FOR UPDATE``, a counter is bumped by an upsert that holds its row until commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import re
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.store.errors import NotOurDatabase, SchemaTooNew, StorageUnavailable
from bot.store.postgres.schema import MIGRATIONS, TABLES, VERSION_TABLE
from bot.store.rows import as_is
from bot.store.seam import Seam

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn = PoolConnectionProxy[asyncpg.Record]

# The name the schema-upgrade lines were always logged under (admins filter on it).
log = logging.getLogger("bot.store")

# Advisory lock keys (per database): one running bot, and one migrating process at a time.
INSTANCE_LOCK = 0x45_44_65_73_6B_01
MIGRATION_LOCK = 0x45_44_65_73_6B_02
# Connections per store: the bot handles up to 8 updates at once, plus the outbox and timer.
POOL_SIZE = 10
CONNECT_TIMEOUT = 10.0
CLOSE_TIMEOUT = 10.0


@functools.cache
def pg(sql: str) -> str:
    """The statement with SQLite's ``?`` placeholders numbered as PostgreSQL's ``$n``."""
    numbers = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(numbers)}", sql)


def rowcount(status: str) -> int:
    """The row count in a command status such as ``UPDATE 1`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _where(url: str) -> tuple[str, int | None, str | None]:
    """Host, port and password of a connection URL (the password only to scrub it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "?", None, None
    password = unquote(parts.password) if parts.password else None
    return parts.hostname or "localhost", port, password


def unavailable(url: str, error: BaseException) -> StorageUnavailable:
    """Why the server cannot be used, with any password in the reason blanked out."""
    host, port, password = _where(url)
    reason = str(error) or type(error).__name__
    if password:
        reason = reason.replace(password, "***")
    return StorageUnavailable(host, port, reason)


def _named(name: str | None) -> dict[str, str]:
    """Server settings naming the session (pg_stat_activity shows which replica it is)."""
    return {"application_name": f"estatedesk {name}"[:63]} if name else {}


async def connect(url: str, name: str | None = None) -> asyncpg.Connection:
    """One connection outside the pool; StorageUnavailable if the server refuses it."""
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT, server_settings=_named(name))
    except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        # "from None": the driver's exception may quote the URL, password and all.
        raise unavailable(url, e) from None


class PgBase(Seam):
    """The pool; every aggregate's PostgreSQL class builds on it."""

    MIGRATIONS = MIGRATIONS
    # The seam the shared reads (bot.store.reads) run over: timestamptz in and out as is.
    _at = staticmethod(as_is)
    _read = staticmethod(as_is)

    @staticmethod
    def _json(column: str, key: str) -> str:
        """``column->>'key'``."""
        return f"{column}->>'{key}'"

    @staticmethod
    def _among(column: str, values: Collection[Any], kind: str = "text") -> tuple[str, list[Any]]:
        """``column = ANY(?::kind[])``: one array parameter, one plan for any length."""
        return f"{column} = ANY(?::{kind}[])", [list(values)]

    async def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[asyncpg.Record]:
        """The rows of one statement on a pooled connection."""
        return await self._pool.fetch(pg(statement), *params)

    async def _row(self, statement: str, params: Sequence[Any] = ()) -> asyncpg.Record | None:
        """The first row of one statement on a pooled connection, or None."""
        return await self._pool.fetchrow(pg(statement), *params)

    async def _change(self, statement: str, params: Sequence[Any] = ()) -> int:
        """One statement, committed on its own; how many rows it touched."""
        return rowcount(await self._pool.execute(pg(statement), *params))

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._url = url
        self._holder: asyncpg.Connection | None = None

    @classmethod
    async def open(cls, url: str, name: str | None = None) -> Self:
        """Connect a pool to ``url`` and bring the schema up to date; ``name`` names the
        sessions (``application_name``)."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_TIMEOUT,
                server_settings=_named(name),
            )
        except (
            OSError,
            TimeoutError,
            ValueError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
        ) as e:
            raise unavailable(url, e) from None
        store = cls(pool, url)
        try:
            await store._migrate()
        except BaseException:
            await pool.close()
            raise
        return store

    async def close(self) -> None:
        """Release the instance lock (if held) and close every connection."""
        if self._holder is not None:
            with contextlib.suppress(Exception):  # the lock ends with the session anyway
                await self._holder.close(timeout=CLOSE_TIMEOUT)
            self._holder = None
        try:
            await asyncio.wait_for(self._pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            # pool.close() waits for every connection to come back; one still held by a
            # stuck or abandoned task would keep the bot from stopping, so drop them all.
            self._pool.terminate()

    async def hold_instance_lock(self) -> bool:
        """Take the one-running-bot lock for as long as the store is open; False if another
        process holds it. A session lock on a connection of its own, so it lasts until
        ``close`` (or until this process dies and the server drops the session)."""
        if self._holder is not None:
            return True
        holder = await connect(self._url)
        if await holder.fetchval("SELECT pg_try_advisory_lock($1)", INSTANCE_LOCK):
            self._holder = holder
            return True
        await holder.close()
        return False

    async def schema_version(self) -> int:
        """How many migrations the database has run."""
        return int(await self._pool.fetchval(f"SELECT version FROM {VERSION_TABLE}"))

    async def _migrate(self) -> None:
        """Apply the migrations the database has not seen yet, all in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            # Two processes starting at once: the second waits here, then finds it done.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            rows = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            names = {str(r[0]) for r in rows}
            foreign = sorted(names - TABLES)
            if foreign:  # raised before anything is written: someone else's data stays as is
                raise NotOurDatabase(foreign)
            version = 0
            if VERSION_TABLE in names:
                version = int(await conn.fetchval(f"SELECT version FROM {VERSION_TABLE}") or 0)
            else:
                await conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
                await conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)")
            if version > len(MIGRATIONS):
                raise SchemaTooNew(version, len(MIGRATIONS))
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                if version > 0:  # a new database is quick; an old one may build big indexes
                    log.info(
                        "database: updating the schema to version %d of %d (on a large"
                        " database this can take minutes; do not stop the bot)",
                        number,
                        len(MIGRATIONS),
                    )
                await conn.execute(script)
                await conn.execute(f"UPDATE {VERSION_TABLE} SET version = $1", number)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[Conn]:
        """One transaction on a pooled connection of its own (rolled back on any error)."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    async def _execute(self, sql: str, *args: Any) -> int:
        """One statement, committed on its own; how many rows it touched."""
        return rowcount(await self._pool.execute(pg(sql), *args))

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self._pool.fetch(pg(sql), *args)

    async def _fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        return await self._pool.fetchrow(pg(sql), *args)
