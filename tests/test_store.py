"""The store's transactions hold under cancellation (a stopping bot cancels work mid-write)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import Store

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
