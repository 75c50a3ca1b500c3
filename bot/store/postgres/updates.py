"""The handled-update log in PostgreSQL: a repeat of an update after a crash is recognised."""

from __future__ import annotations

from datetime import datetime

from bot.store import sql
from bot.store.postgres.db import PgBase


class PgUpdateLog(PgBase):
    """UpdateLog over PostgreSQL."""

    async def update_handled(self, update_id: int) -> bool:
        """True if this Telegram update was handled before (it is being delivered again)."""
        row = await self._fetchrow(sql.UPDATE_HANDLED, update_id)
        return row is not None

    async def last_handled_update(self) -> int:
        """The highest update id handled so far (0 for none)."""
        row = await self._fetchrow(sql.LAST_HANDLED_UPDATE)
        return int(row["n"]) if row and row["n"] is not None else 0

    async def mark_update_handled(self, update_id: int, now: datetime, keep: int = 10_000) -> None:
        """Remember a handled update id (only about the last ``keep`` are kept)."""
        await self._execute(sql.MARK_UPDATE_HANDLED, update_id, now)
        if update_id % 1000 == 0:  # pruning now and then is enough
            await self._execute(sql.PRUNE_HANDLED_UPDATES, update_id - keep)
