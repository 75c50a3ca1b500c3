"""Surveys and follow-up calls in SQLite: each step is a compare-and-set on the survey's row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.core.models import Outgoing, Survey
from bot.store import sql
from bot.store.interfaces import SurveyChange, SurveyStamp
from bot.store.reads import CommonSurveys
from bot.store.rows import survey_of
from bot.store.sqlite.db import SqliteBase, dt, ts
from bot.store.sqlite.outbox import enqueue_in


async def apply_survey_change(
    db: aiosqlite.Connection, ticket_id: int, change: SurveyChange
) -> None:
    """What a ticket change does to its surveys, inside the change's transaction."""
    if change.kind == "sooner" and change.due_at is not None:
        await db.execute(
            "UPDATE surveys SET due_at = MIN(due_at, ?) WHERE ticket_id = ?"
            " AND status = 'scheduled'",
            (ts(change.due_at), ticket_id),
        )
        return
    # Whatever was pending belongs to an earlier round now.
    await db.execute(sql.CANCEL_PENDING_SURVEYS, (ticket_id,))
    if change.kind == "new" and change.due_at is not None:
        await db.execute(sql.NEW_SURVEY, (ticket_id, ticket_id, change.staff_id, ts(change.due_at)))


class SqliteSurveys(SqliteBase, CommonSurveys):
    """SurveyStore over SQLite."""

    async def surveys_pending(self, ticket_id: int | None = None) -> list[Survey]:
        """Surveys still to send, remind or expire, and open follow-ups (for the scheduler);
        of one ticket, or of all."""
        if ticket_id is not None:
            rows = await self._fetchall(
                "SELECT * FROM surveys WHERE ticket_id = ? AND (status IN ('scheduled', 'sent')"
                " OR followup_status = 'open') ORDER BY id",
                (ticket_id,),
            )
            return [_survey(r) for r in rows]
        rows = await self._fetchall(
            "SELECT * FROM surveys WHERE status IN ('scheduled', 'sent')"
            " UNION SELECT * FROM surveys WHERE followup_status = 'open' ORDER BY id"
        )
        return [_survey(r) for r in rows]

    async def survey_mark(
        self,
        survey_id: int,
        *,
        expect: str,
        status: str,
        column: SurveyStamp | None,
        now: datetime,
        messages: Sequence[Outgoing] = (),
    ) -> bool:
        """Move a survey on (sent, reminded, expired) once, queueing its messages in the same
        transaction; False (nothing written) if it had moved already."""
        # The column name goes into the SQL text: only the two known stamps may.
        assert column in (None, "sent_at", "reminded_at")
        stamp = f", {column} = ?" if column else ""
        unset = f" AND {column} IS NULL" if column else ""
        async with self._tx() as db:
            cursor = await db.execute(
                f"UPDATE surveys SET status = ?{stamp} WHERE id = ? AND status = ?{unset}",
                (status, *([ts(now)] if column else []), survey_id, expect),
            )
            if cursor.rowcount == 0:
                return False
            for message in messages:
                await enqueue_in(db, message, now)
            return True


def _survey(row: aiosqlite.Row) -> Survey:
    """Build a Survey from a surveys row."""
    return survey_of(row, dt)
