"""Surveys and follow-up calls in PostgreSQL: each step is a compare-and-set on its row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg

from bot.core.models import Outgoing, Survey
from bot.store import sql
from bot.store.interfaces import SurveyChange, SurveyStamp
from bot.store.postgres.db import PgBase, pg, rowcount
from bot.store.postgres.outbox import enqueue_in
from bot.store.reads import CommonSurveys
from bot.store.rows import as_is, survey_of

if TYPE_CHECKING:
    from bot.store.postgres.db import Conn


async def apply_survey_change(db: Conn, ticket_id: int, change: SurveyChange) -> None:
    """What a ticket change does to its surveys, inside the change's transaction (which holds
    the ticket's row, so two changes never count the same round)."""
    if change.kind == "sooner" and change.due_at is not None:
        await db.execute(
            "UPDATE surveys SET due_at = LEAST(due_at, $1) WHERE ticket_id = $2"
            " AND status = 'scheduled'",
            change.due_at,
            ticket_id,
        )
        return
    # Whatever was pending belongs to an earlier round now.
    await db.execute(pg(sql.CANCEL_PENDING_SURVEYS), ticket_id)
    if change.kind == "new" and change.due_at is not None:
        await db.execute(pg(sql.NEW_SURVEY), ticket_id, ticket_id, change.staff_id, change.due_at)


class PgSurveys(PgBase, CommonSurveys):
    """SurveyStore over PostgreSQL."""

    async def surveys_pending(self, ticket_id: int | None = None) -> list[Survey]:
        """Surveys still to send, remind or expire, and open follow-ups (for the scheduler);
        of one ticket, or of all."""
        rows = await self._fetch(
            "SELECT * FROM surveys WHERE (?::bigint IS NULL OR ticket_id = ?)"
            " AND (status IN ('scheduled', 'sent') OR followup_status = 'open') ORDER BY id",
            ticket_id,
            ticket_id,
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
            done = await db.execute(
                pg(f"UPDATE surveys SET status = ?{stamp} WHERE id = ? AND status = ?{unset}"),
                status,
                *([now] if column else []),
                survey_id,
                expect,
            )
            if rowcount(done) == 0:
                return False
            await enqueue_in(db, messages, now)
            return True


def _survey(row: asyncpg.Record) -> Survey:
    """Build a Survey from a surveys row."""
    return survey_of(row, as_is)
