"""The handled-update log in SQLite: a repeat of an update after a crash is recognised."""

from __future__ import annotations

from datetime import datetime

from bot.store import sql
from bot.store.reads import CommonUpdateLog
from bot.store.sqlite.db import SqliteBase, ts


class SqliteUpdateLog(SqliteBase, CommonUpdateLog):
    """UpdateLog over SQLite."""

    async def mark_update_handled(self, update_id: int, now: datetime, keep: int = 10_000) -> None:
        """Remember a handled update id (only about the last ``keep`` are kept)."""
        await self._write(sql.MARK_UPDATE_HANDLED, (update_id, ts(now)))
        if update_id % 1000 == 0:  # pruning now and then is enough
            await self._write(sql.PRUNE_HANDLED_UPDATES, (update_id - keep,))
