"""What is remembered of owners in SQLite: their homes, and the register of real units."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store import sql
from bot.store.reads import CommonHomes
from bot.store.sqlite.db import SqliteBase


class SqliteHomes(SqliteBase, CommonHomes):
    """OwnerMemory's homes and units over SQLite (the phone lives with the person)."""

    async def import_units(self, units: Sequence[tuple[str, str, str]]) -> int:
        """Add (estate, building, unit) rows to the register (repeats ignored); how many new."""
        added = 0
        async with self._tx() as db:
            for estate, building, unit in units:
                cursor = await db.execute(sql.ADD_UNIT, (estate, building, unit))
                added += max(cursor.rowcount, 0)
        return added
