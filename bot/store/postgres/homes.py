"""What is remembered of owners in PostgreSQL: their homes, and the register of real units."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store import sql
from bot.store.postgres.db import PgBase, pg, rowcount
from bot.store.reads import CommonHomes


class PgHomes(PgBase, CommonHomes):
    """OwnerMemory's homes and units over PostgreSQL (the phone lives with the person)."""

    async def import_units(self, units: Sequence[tuple[str, str, str]]) -> int:
        """Add (estate, building, unit) rows to the register (repeats ignored); how many new."""
        added = 0
        async with self._tx() as db:
            for estate, building, unit in units:
                added += rowcount(await db.execute(pg(sql.ADD_UNIT), estate, building, unit))
        return added
