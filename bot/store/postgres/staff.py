"""Staff state in PostgreSQL: /duty, and the load routing reads from the tickets."""

from __future__ import annotations

from datetime import datetime

from bot.store import sql
from bot.store.postgres.db import PgBase


class PgStaffState(PgBase):
    """StaffState over PostgreSQL."""

    async def set_available(self, telegram_id: int, available: bool, now: datetime) -> None:
        """Record a staff member's /duty on or /duty off."""
        await self._execute(sql.SET_AVAILABLE, telegram_id, int(available), now)

    async def unavailable_staff(self) -> frozenset[int]:
        """Staff who said /duty off."""
        rows = await self._fetch(sql.UNAVAILABLE_STAFF)
        return frozenset(int(r["telegram_id"]) for r in rows)

    async def open_load(self) -> dict[int, int]:
        """Open tickets (assigned or accepted) per assignee."""
        rows = await self._fetch(sql.OPEN_LOAD)
        return {int(r["assignee_id"]): int(r["n"]) for r in rows}

    async def recent_assignees(self, limit: int = 200) -> list[int]:
        """Who got tickets lately, oldest first (for round robin between equals)."""
        rows = await self._fetch(sql.RECENT_ASSIGNEES, limit)
        return [int(r["assignee_id"]) for r in rows]
