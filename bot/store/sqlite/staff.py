"""Staff state in SQLite: /duty, and the load routing reads from the tickets."""

from __future__ import annotations

from datetime import datetime

from bot.store import sql
from bot.store.sqlite.db import SqliteBase, ts


class SqliteStaffState(SqliteBase):
    """StaffState over SQLite: /duty, and the load routing reads from the tickets."""

    async def set_available(self, telegram_id: int, available: bool, now: datetime) -> None:
        """Record a staff member's /duty on or /duty off."""
        async with self._tx() as db:
            await db.execute(sql.SET_AVAILABLE, (telegram_id, int(available), ts(now)))

    async def unavailable_staff(self) -> frozenset[int]:
        """Staff who said /duty off."""
        rows = await self._fetchall(sql.UNAVAILABLE_STAFF)
        return frozenset(int(r["telegram_id"]) for r in rows)

    async def open_load(self) -> dict[int, int]:
        """Open tickets (assigned or accepted) per assignee."""
        rows = await self._fetchall(sql.OPEN_LOAD)
        return {int(r["assignee_id"]): int(r["n"]) for r in rows}

    async def recent_assignees(self, limit: int = 200) -> list[int]:
        """Who got tickets lately, oldest first (for round robin between equals)."""
        rows = await self._fetchall(sql.RECENT_ASSIGNEES, (limit,))
        return [int(r["assignee_id"]) for r in rows]
