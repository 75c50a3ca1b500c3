"""The store's transactions hold under cancellation (a stopping bot cancels work mid-write)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import MIGRATIONS, Store

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("yields", range(6))
async def test_a_write_cancelled_at_any_point_leaves_no_transaction_open(
    tmp_path: Path, yields: int
) -> None:
    """Cancelling a write wherever it waits (BEGIN, body, COMMIT) must not wedge the connection."""
    store = await Store.open(tmp_path / "desk.sqlite3")
    try:
        task = asyncio.create_task(store.mark_update_handled(1, NOW))
        for _ in range(yields):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # The next writer must get its own transaction, and what it writes must be kept.
        await asyncio.wait_for(store.mark_update_handled(2, NOW), 5)
        assert await store.update_handled(2)
    finally:
        await store.close()
    reopened = await Store.open(tmp_path / "desk.sqlite3")
    try:
        assert await reopened.update_handled(2)
    finally:
        await reopened.close()


async def test_an_old_database_is_brought_up_to_date_with_a_log_line_per_step(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Index builds on a big old file take minutes: the admin reading the log is told why."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(f"{MIGRATIONS[0]}; PRAGMA user_version = 1;")
    caplog.set_level(logging.INFO, logger="bot.store")
    store = await Store.open(path)
    try:
        await store.mark_update_handled(1, NOW)  # the schema works
    finally:
        await store.close()
    steps = [r.getMessage() for r in caplog.records if "updating the schema" in r.getMessage()]
    assert len(steps) == len(MIGRATIONS) - 1
    assert f"version {len(MIGRATIONS)} of {len(MIGRATIONS)}" in steps[-1]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    caplog.clear()
    fresh = await Store.open(tmp_path / "new.sqlite3")  # a new file: nothing to announce
    await fresh.close()
    assert not [r for r in caplog.records if "updating the schema" in r.getMessage()]
