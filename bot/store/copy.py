"""Copying a whole database between backends (SQLite ↔ PostgreSQL) for ``python -m bot copy-db``.

Both ends are opened through the stores first, so each is migrated to the current schema and
the column lists match; the rows then move through plain connections in batches, inside one
target transaction: a failed copy leaves the target as empty as it was.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

import aiosqlite

from bot.config.storage import parse_database_url
from bot.nul import text_without_nul, without_nul
from bot.store.sqlite.db import ts

# Parents before children (foreign keys), and the order the counts are printed in.
TABLES: tuple[str, ...] = (
    "users",
    "conversations",
    "tickets",
    "ticket_events",
    "counters",
    "outbox",
    "cards",
    "staff_status",
    "surveys",
    "handled_updates",
    "web_logins",
    "web_sessions",
    "homes",
    "units",
    "drafts",
    "notices",
    "notice_deliveries",
    "notice_prefs",
    "digest_lines",
    "incidents",
    "incident_tickets",
    "incident_subscribers",
    "incident_deliveries",
    "incident_proposals",
    "incident_proposal_tickets",
)
# Bookkeeping of each backend, never copied: the schema version and SQLite's own tables.
# PostgreSQL replicas' runtime state (heartbeats, the poller's lease, the update inbox) belongs
# to the running bots, not to the desk's data.
SKIPPED = frozenset({"estatedesk_schema", "replicas", "leases", "inbox"})
# The tables that say a database is in use: a copy never merges into one.
IN_USE = ("tickets", "users", "conversations")
# Columns one backend fills itself: PostgreSQL numbers cards in saving order (SQLite's rowid).
GENERATED = {"cards": frozenset({"seq"})}
# PostgreSQL's reading order where it matters: cards by seq, so the target numbers them alike.
PG_ORDER = {"cards": "seq"}
BATCH = 1000

Progress = Callable[[str, int, int], None]


class CopyError(Exception):
    """The copy cannot go on; the message says why (never with a password)."""


class TargetNotEmpty(CopyError):
    """The target already holds tickets, people or conversations."""


class _Side(Protocol):
    """One end of the copy: a plain connection to an opened (migrated) database."""

    backend: str

    async def tables(self) -> set[str]:
        """The tables of the database, bookkeeping left out."""
        ...

    async def columns(self, table: str) -> dict[str, str]:
        """Column name → declared type, in table order."""
        ...

    async def count(self, table: str) -> int:
        """How many rows the table holds."""
        ...

    def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The table's rows in batches, in the order they were written."""
        ...

    async def begin(self) -> None:
        """Start the copy's transaction."""
        ...

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert one batch."""
        ...

    async def finish(self, tables: Sequence[str]) -> None:
        """Move identity counters past the copied ids, and commit."""
        ...

    async def rollback(self) -> None:
        """Undo the copy's transaction."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...


class _Sqlite:
    """An SQLite file through aiosqlite."""

    backend = "sqlite"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def tables(self) -> set[str]:
        """The tables of the database, bookkeeping left out."""
        cursor = await self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {str(r[0]) for r in await cursor.fetchall()}
        return {n for n in names if not n.startswith("sqlite_")} - SKIPPED

    async def columns(self, table: str) -> dict[str, str]:
        """Column name → declared type, in table order."""
        cursor = await self._db.execute(f"PRAGMA table_info({table})")
        return {str(r[1]): str(r[2]).lower() for r in await cursor.fetchall()}

    async def count(self, table: str) -> int:
        """How many rows the table holds."""
        cursor = await self._db.execute(f"SELECT count(*) FROM {table}")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The table's rows in batches, by rowid (keyset: each batch is one quick query)."""
        last = -(2**63)
        listed = ", ".join(columns)
        while True:
            cursor = await self._db.execute(
                f"SELECT rowid, {listed} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (last, BATCH),
            )
            batch = list(await cursor.fetchall())
            if not batch:
                return
            last = int(batch[-1][0])
            yield [tuple(r)[1:] for r in batch]

    async def begin(self) -> None:
        """Start the copy's transaction."""
        await self._db.execute("BEGIN IMMEDIATE")

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert one batch."""
        marks = ", ".join("?" for _ in columns)
        await self._db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )

    async def finish(self, tables: Sequence[str]) -> None:
        """Commit (SQLite's next id is the largest one plus one by itself)."""
        await self._db.execute("COMMIT")

    async def rollback(self) -> None:
        """Undo the copy's transaction."""
        if self._db.in_transaction:
            await self._db.execute("ROLLBACK")

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()


class _Postgres:
    """A PostgreSQL database through one asyncpg connection."""

    backend = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._tx: Any = None

    async def tables(self) -> set[str]:
        """The tables of the database, bookkeeping left out."""
        rows = await self._conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        return {str(r[0]) for r in rows} - SKIPPED

    async def columns(self, table: str) -> dict[str, str]:
        """Column name → type, in table order."""
        rows = await self._conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            table,
        )
        return {str(r[0]): str(r[1]).lower() for r in rows}

    async def count(self, table: str) -> int:
        """How many rows the table holds."""
        return int(await self._conn.fetchval(f"SELECT count(*) FROM {table}"))

    async def rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The table's rows in batches through a server-side cursor (one snapshot)."""
        by = PG_ORDER.get(table, "1")  # ordinal 1 (the key, or first column) for the others
        listed = ", ".join(columns)
        async with self._conn.transaction(readonly=True, isolation="repeatable_read"):
            cursor = await self._conn.cursor(f"SELECT {listed} FROM {table} ORDER BY {by}")
            while batch := await cursor.fetch(BATCH):
                yield [tuple(r) for r in batch]

    async def begin(self) -> None:
        """Start the copy's transaction."""
        self._tx = self._conn.transaction()
        await self._tx.start()

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert one batch."""
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
        await self._conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
        )

    async def finish(self, tables: Sequence[str]) -> None:
        """Move each identity past the largest copied id (else the next insert collides)."""
        rows = await self._conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
        for table, column in ((str(r[0]), str(r[1])) for r in rows):
            if table not in tables:
                continue
            await self._conn.execute(
                f"SELECT setval(pg_get_serial_sequence($1, $2), max({column}))"
                f" FROM {table} HAVING max({column}) IS NOT NULL",
                table,
                column,
            )
        await self._tx.commit()
        self._tx = None

    async def rollback(self) -> None:
        """Undo the copy's transaction."""
        if self._tx is not None:
            await self._tx.rollback()
            self._tx = None

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()


async def _open(url: str) -> _Side:
    """Open ``url`` through its store (creating and migrating it), then a plain connection."""
    parsed = parse_database_url(url)  # ValueError for a bad URL
    if parsed.backend == "postgresql":
        # Imported here: an SQLite-only installation never loads the PostgreSQL driver.
        from bot.store.postgres import PostgresStore
        from bot.store.postgres.db import connect

        await (await PostgresStore.open(url)).close()
        return _Postgres(await connect(url))
    from bot.store.sqlite import Store

    await (await Store.open(parsed.path)).close()
    db = await aiosqlite.connect(parsed.path, isolation_level=None)
    await db.execute("PRAGMA foreign_keys = ON")
    await db.execute("PRAGMA busy_timeout = 5000")
    return _Sqlite(db)


def _converter(kind: str, to: str) -> Callable[[Any], Any] | None:
    """How a value of target column type ``kind`` is written to backend ``to`` (None: as is)."""
    if to == "postgresql":
        if kind.startswith("timestamp"):
            return lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
        if kind in ("json", "jsonb"):
            # asyncpg takes JSON as text; a value that is not valid JSON fails here, by name.
            # PostgreSQL refuses U+0000 in text and JSON: it arrives as U+FFFD, as the bot's
            # transport writes it (bot/nul.py).
            return lambda v: (
                v if v is None else without_nul(json.dumps(json.loads(v)).encode()).decode()
            )
        if kind == "boolean":
            return lambda v: v if v is None else bool(v)
        if kind == "text":
            return lambda v: text_without_nul(v) if isinstance(v, str) else v
        return None
    # To SQLite: timestamps as UTC ISO text (as the SQLite store writes them), booleans 0/1.
    return lambda v: ts(v) if isinstance(v, datetime) else int(v) if isinstance(v, bool) else v


async def _plan(source: _Side, target: _Side) -> dict[str, list[str]]:
    """The columns to copy per table; CopyError for a table or column the copier does not know."""
    unknown = sorted((await source.tables()) - set(TABLES))
    if unknown:
        raise CopyError(
            f"the source has tables this copier does not know: {', '.join(unknown)}"
            " (a newer release's database, or not EstateDesk's): nothing was copied"
        )
    plan: dict[str, list[str]] = {}
    for table in TABLES:
        mine = await source.columns(table)
        theirs = await target.columns(table)
        skip = GENERATED.get(table, frozenset())
        wanted = [c for c in theirs if c not in skip]
        extra = sorted(set(mine) - set(theirs) - skip)
        missing = sorted(set(wanted) - set(mine))
        if extra or missing or not theirs:
            raise CopyError(
                f"{table}: the two databases' columns differ (only in the source: {extra},"
                f" only in the target: {missing}): nothing was copied"
            )
        plan[table] = wanted
    return plan


async def copy_database(
    source_url: str, target_url: str, progress: Progress
) -> list[tuple[str, int, int]]:
    """Copy every table of ``source_url`` into the empty ``target_url``.

    Returns (table, source rows, target rows) per table, counted after the commit. Raises
    TargetNotEmpty, CopyError, ValueError (a bad URL) or the errors of ``bot.store.errors``.
    """
    source = await _open(source_url)
    try:
        target = await _open(target_url)
        try:
            return await _copy(source, target, progress)
        finally:
            await target.close()
    finally:
        await source.close()


async def _copy(source: _Side, target: _Side, progress: Progress) -> list[tuple[str, int, int]]:
    plan = await _plan(source, target)
    await target.begin()
    try:
        for table in IN_USE:
            if await target.count(table):
                raise TargetNotEmpty(
                    f"the target database is not empty (it has {table}): copy-db only fills a"
                    " new, empty database; nothing was copied"
                )
        for table, columns in plan.items():
            kinds = await target.columns(table)
            convert = [_converter(kinds[c], target.backend) for c in columns]
            total = await source.count(table)
            done = 0
            progress(table, done, total)
            async for batch in source.rows(table, columns):
                rows = [
                    tuple(v if f is None else f(v) for f, v in zip(convert, row, strict=True))
                    for row in batch
                ]
                await target.insert(table, columns, rows)
                done += len(rows)
                progress(table, done, total)
        await target.finish(TABLES)
    except BaseException:
        await target.rollback()
        raise
    return [(t, await source.count(t), await target.count(t)) for t in TABLES]
