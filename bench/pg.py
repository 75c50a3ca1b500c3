"""``--storage postgres``: a throwaway PostgreSQL server, a fresh database per phase, and the
generated scale database copied from SQLite into PostgreSQL.

The server is the test suite's (``tests/pg.py``: initdb in a temporary directory, started with
``fsync=off`` on a free loopback port, as the ``postgres`` user when we are root).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg

from bot.store.interfaces import Storage
from tests.pg import PG_BIN, PgServer, start_server

Db = Path | str
"""Where a bot's database is: an SQLite file (a path) or a PostgreSQL URL (a string)."""

BATCH = 50_000  # rows per COPY
NULL = "\\N"  # how COPY reads NULL here


def available() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN)"
    return None


@contextlib.asynccontextmanager
async def server() -> AsyncIterator[PgServer]:
    """A PostgreSQL server for the run, stopped and removed afterwards."""
    reason = available()
    if reason is not None:
        raise RuntimeError(reason)
    srv = await asyncio.to_thread(start_server)
    try:
        yield srv
    finally:
        await asyncio.to_thread(srv.stop)


def server_pid(srv: PgServer) -> int:
    """The postmaster's process id (the first line of its pid file)."""
    return int((srv.datadir / "postmaster.pid").read_text(encoding="ascii").split()[0])


async def fresh_database(srv: PgServer) -> str:
    """A new empty database on the server; its URL."""
    return await asyncio.to_thread(srv.create_database)


async def open_store(db: Db) -> Storage:
    """The bot's store on either backend (migrated)."""
    if isinstance(db, str):
        from bot.store.postgres import PostgresStore

        return await PostgresStore.open(db)
    from bot.store.sqlite import Store

    return await Store.open(db)


async def scalar(url: str, sql: str) -> Any:
    """One value from one query on a PostgreSQL database."""
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def column(url: str, sql: str) -> list[Any]:
    """The first column of a query's rows."""
    conn = await asyncpg.connect(url)
    try:
        return [r[0] for r in await conn.fetch(sql)]
    finally:
        await conn.close()


def _csv_batches(source: Path, table: str, columns: list[str]) -> Iterator[bytes]:
    """The rows of an SQLite table as CSV, ``BATCH`` rows at a time, NULL written as ``NULL``
    (unquoted, so an empty string stays an empty string)."""
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
        cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {table}")
        while rows := cursor.fetchmany(BATCH):
            buffer = io.StringIO()
            csv.writer(buffer).writerows(
                tuple(NULL if v is None else v for v in row) for row in rows
            )
            yield buffer.getvalue().encode("utf-8")


async def copy_sqlite_into(source: Path, url: str) -> dict[str, Any]:
    """Migrate the PostgreSQL database ``url`` and copy every row of the SQLite database
    ``source`` into it (the tables PostgreSQL has and holds nothing in yet), with COPY; then
    move the id sequences past the copied ids and ANALYZE. Returns rows per table and seconds."""
    started = time.monotonic()
    store = await open_store(url)
    await store.close()
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as lite:
        lite_tables = {
            name: [r[1] for r in lite.execute(f"PRAGMA table_info({name})")]
            for (name,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    copied: dict[str, int] = {}
    conn = await asyncpg.connect(url)
    try:
        for table, lite_columns in lite_tables.items():
            pg_columns = [
                r[0]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = $1"
                    " ORDER BY ordinal_position",
                    table,
                )
            ]
            if not pg_columns or await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                continue  # not a table of the PostgreSQL schema, or one the migration filled
            columns = [c for c in lite_columns if c in pg_columns]
            count = 0
            for chunk in _csv_batches(source, table, columns):
                await conn.copy_to_table(
                    table, source=io.BytesIO(chunk), columns=columns, format="csv", null=NULL
                )
                count += chunk.count(b"\n")  # approximate when a text holds a newline
            if count:
                copied[table] = await conn.fetchval(f"SELECT COUNT(*) FROM {table}")
            if "id" in columns:
                sequence = await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
                if sequence is not None:
                    await conn.execute(
                        f"SELECT setval($1, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",
                        sequence,
                    )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {"rows": copied, "seconds": round(time.monotonic() - started, 2)}
