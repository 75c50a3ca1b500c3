"""Staff state in SQLite: /duty, and the load routing reads from the tickets."""

from __future__ import annotations

from datetime import datetime

from bot.store.sqlite.db import SqliteBase, ts


class SqliteStaffState(SqliteBase):
    """StaffState over SQLite: /duty, and the load routing reads from the tickets."""

    async def set_available(self, telegram_id: int, available: bool, now: datetime) -> None:
        """Record a staff member's /duty on or /duty off."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO staff_status (telegram_id, available, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (telegram_id) DO UPDATE SET available = excluded.available,"
                " updated_at = excluded.updated_at",
                (telegram_id, int(available), ts(now)),
            )

    async def unavailable_staff(self) -> frozenset[int]:
        """Staff who said /duty off."""
        rows = await self._fetchall("SELECT telegram_id FROM staff_status WHERE available = 0")
        return frozenset(int(r["telegram_id"]) for r in rows)

    async def open_load(self) -> dict[int, int]:
        """Open tickets (assigned or accepted) per assignee."""
        rows = await self._fetchall(
            "SELECT assignee_id, COUNT(*) AS n FROM tickets WHERE assignee_id IS NOT NULL"
            " AND status IN ('assigned', 'accepted') GROUP BY assignee_id"
        )
        return {int(r["assignee_id"]): int(r["n"]) for r in rows}

    async def recent_assignees(self, limit: int = 200) -> list[int]:
        """Who got tickets lately, oldest first (for round robin between equals)."""
        rows = await self._fetchall(
            "SELECT assignee_id FROM (SELECT id, assignee_id FROM tickets"
            " WHERE assignee_id IS NOT NULL ORDER BY id DESC LIMIT ?) ORDER BY id",
            (limit,),
        )
        return [int(r["assignee_id"]) for r in rows]
