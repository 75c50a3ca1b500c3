"""Report reads in PostgreSQL: period facts for the statistics, exports, and report runs.

The same facts as SQLite's (``bot.store.sqlite.reports``), through the same indexes; the first
and last event of a kind come from ordered aggregates instead of SQLite's string trick.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg

from bot.core.facts import TicketFact
from bot.store.postgres.db import PgBase
from bot.store.reads_web import CommonReports
from bot.store.reports import (
    EVERYTHING,
    SURVEY_EXPORT_COLUMNS,
    TICKET_EXPORT_COLUMNS,
    ExportChunk,
    Scope,
)
from bot.store.sqlite.db import ts

_MILESTONES = "('accepted', 'resolved', 'reopened', 'cancelled', 'escalated')"
_OPEN = "('new', 'assigned', 'accepted')"


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    """An export row as SQLite gives it: timestamps as UTC ISO text."""
    return {k: ts(v) if isinstance(v, datetime) else v for k, v in row.items()}


class PgReports(PgBase, CommonReports):
    """ReportReads and ReportRuns over PostgreSQL."""

    async def ticket_facts(
        self, start: datetime, end: datetime, now: datetime, scope: Scope = EVERYTHING
    ) -> list[TicketFact]:
        """Every ticket something happened to in [start, end): created, accepted, resolved,
        reopened, cancelled, escalated or surveyed then, or open with a due time passing then.

        The ids are handed over as an array: joined to them, the planner guessed five times too
        many and read the whole tickets index (a month of a million-ticket desk: 0.5 s, not 0.25).
        """
        until = min(end, now)
        only, params = self._scope_sql(scope, "t")
        rows = await self._fetch(
            f"""
            WITH ids(id) AS (
                SELECT id FROM tickets WHERE created_at >= ? AND created_at < ?
                UNION SELECT ticket_id FROM ticket_events
                      WHERE kind IN {_MILESTONES} AND at >= ? AND at < ?
                UNION SELECT ticket_id FROM surveys WHERE sent_at >= ? AND sent_at < ?
                UNION SELECT id FROM tickets WHERE status IN {_OPEN}
                      AND ((accept_due >= ? AND accept_due < ?)
                           OR (resolve_due >= ? AND resolve_due < ?))
            )
            SELECT t.id, t.number, t.kind, t.category, t.department, t.estate, t.building,
                   t.area, t.status, t.assignee_id, t.created_at, t.accept_due, t.resolve_due,
                   MIN(e.at) FILTER (WHERE e.kind = 'accepted'),
                   (array_agg(e.actor_id ORDER BY e.at, e.id)
                        FILTER (WHERE e.kind = 'accepted'))[1],
                   MAX(e.at) FILTER (WHERE e.kind = 'resolved'),
                   (array_agg(e.actor_id ORDER BY e.at DESC, e.id DESC)
                        FILTER (WHERE e.kind = 'resolved'))[1],
                   bool_or(e.data->>'stage' = 'accept') FILTER (WHERE e.kind = 'escalated'),
                   bool_or(e.data->>'stage' = 'resolve') FILTER (WHERE e.kind = 'escalated')
            FROM tickets t
            LEFT JOIN ticket_events e
                   ON e.ticket_id = t.id AND e.kind IN ('accepted', 'resolved', 'escalated')
            WHERE t.id = ANY(ARRAY(SELECT id FROM ids)) {only}
            GROUP BY t.id
            """,
            *(start, end, start, end, start, end, start, until, start, until),
            *params,
        )
        return [TicketFact._make((*r[:17], bool(r[17]), bool(r[18]))) for r in rows]

    async def export_chunks(
        self, start: datetime, end: datetime, size: int = 2000
    ) -> AsyncIterator[ExportChunk]:
        """Tickets opened in [start, end), oldest first, with all their events and surveys,
        a chunk at a time; rows are plain as SQLite's (timestamps as ISO text)."""
        after: tuple[datetime, int] = (start, 0)  # ids start at 1: nothing is skipped
        columns = ", ".join(TICKET_EXPORT_COLUMNS)
        survey_columns = ", s.".join(c for c in SURVEY_EXPORT_COLUMNS if c != "number")
        while True:
            rows = await self._fetch(
                f"SELECT {columns} FROM tickets WHERE created_at >= ? AND created_at < ?"
                " AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?",
                start,
                end,
                *after,
                size,
            )
            if not rows:
                return
            after = (rows[-1]["created_at"], rows[-1]["id"])
            ids = [r["id"] for r in rows]
            events = await self._fetch(
                "SELECT e.ticket_id, t.number, e.at, e.kind, e.actor_id, e.data::text AS data"
                " FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
                " WHERE e.ticket_id = ANY(?::bigint[]) ORDER BY e.ticket_id, e.id",
                ids,
            )
            surveys = await self._fetch(
                f"SELECT s.{survey_columns}, t.number FROM surveys s"
                " JOIN tickets t ON t.id = s.ticket_id"
                " WHERE s.ticket_id = ANY(?::bigint[]) ORDER BY s.ticket_id, s.round",
                ids,
            )
            yield ExportChunk(
                [_plain(r) for r in rows], [_plain(r) for r in events], [_plain(r) for r in surveys]
            )
            if len(rows) < size:
                return
