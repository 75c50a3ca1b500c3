"""Report reads in SQLite: period facts for the statistics, exports, and scheduled-report runs.

Every query reads a bounded slice through an index — tickets by ``created_at``, events by
``(kind, at)``, surveys by ``sent_at`` — and then a few rows per ticket through
``ticket_events (ticket_id, id)``, so a month's report costs the month's tickets, not the
database's (see ``REPORT_INDEXES``). Statements run one at a time under the store's lock, so a
report never interleaves with a ticket's transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from bot.core.facts import TicketFact
from bot.store.reads_web import CommonReports
from bot.store.reports import (
    EVERYTHING,
    SURVEY_EXPORT_COLUMNS,
    TICKET_EXPORT_COLUMNS,
    ExportChunk,
    Scope,
)
from bot.store.sqlite.db import SqliteBase, dt, ts

REPORT_INDEXES = """
CREATE INDEX IF NOT EXISTS tickets_created ON tickets (created_at);
CREATE INDEX IF NOT EXISTS ticket_events_kind_at ON ticket_events (kind, at, ticket_id);
CREATE INDEX IF NOT EXISTS surveys_sent ON surveys (sent_at);
"""
"""The indexes report queries rely on (a migration in bot.store.sqlite.schema creates them)."""

_MILESTONES = "('accepted', 'resolved', 'reopened', 'cancelled', 'escalated')"
_OPEN = "('new', 'assigned', 'accepted')"


class SqliteReports(SqliteBase, CommonReports):
    """ReportReads and ReportRuns over SQLite."""

    # ----- statistics ------------------------------------------------------------------------

    async def ticket_facts(
        self, start: datetime, end: datetime, now: datetime, scope: Scope = EVERYTHING
    ) -> list[TicketFact]:
        """Every ticket something happened to in [start, end): created, accepted, resolved,
        reopened, cancelled, escalated or surveyed then, or open with a due time passing then."""
        s, e, u = ts(start), ts(end), ts(min(end, now))
        only, params = self._scope_sql(scope, "t")
        # Open tickets are few, but where ANALYZE has seen mostly closed ones the planner would
        # read the whole table for them: INDEXED BY keeps it on the status index.
        # CROSS JOIN keeps SQLite's join order (the slice first, then each ticket and its
        # timeline) whatever statistics it has. "at actor" strings: timestamps are fixed-width
        # ISO, so MIN/MAX of the pair is the first/last event, and the actor comes along in the
        # same pass over the timeline.
        rows = await self._fetchall(
            f"""
            WITH ids(id) AS (
                SELECT id FROM tickets WHERE created_at >= ? AND created_at < ?
                UNION SELECT ticket_id FROM ticket_events
                      WHERE kind IN {_MILESTONES} AND at >= ? AND at < ?
                UNION SELECT ticket_id FROM surveys WHERE sent_at >= ? AND sent_at < ?
                UNION SELECT id FROM tickets INDEXED BY tickets_status WHERE status IN {_OPEN}
                      AND ((accept_due >= ? AND accept_due < ?)
                           OR (resolve_due >= ? AND resolve_due < ?))
            )
            SELECT t.id, t.number, t.kind, t.category, t.department, t.estate, t.building,
                   t.area, t.status, t.assignee_id, t.created_at, t.accept_due, t.resolve_due,
                   MIN(CASE WHEN e.kind = 'accepted'
                            THEN e.at || ' ' || IFNULL(e.actor_id, '') END) AS accepted,
                   MAX(CASE WHEN e.kind = 'resolved'
                            THEN e.at || ' ' || IFNULL(e.actor_id, '') END) AS resolved,
                   MAX(CASE WHEN e.kind = 'escalated'
                            THEN json_extract(e.data, '$.stage') = 'accept' END) AS esc_accept,
                   MAX(CASE WHEN e.kind = 'escalated'
                            THEN json_extract(e.data, '$.stage') = 'resolve' END) AS esc_resolve
            FROM ids CROSS JOIN tickets t ON t.id = ids.id
            LEFT JOIN ticket_events e
                   ON e.ticket_id = t.id AND e.kind IN ('accepted', 'resolved', 'escalated')
            WHERE 1 = 1 {only}
            GROUP BY t.id
            """,
            (s, e, s, e, s, e, s, u, s, u, *params),
        )
        facts = []
        for r in rows:
            # Positional: this loop builds tens of thousands of facts for a month.
            accepted, _, accepted_by = (r[13] or "").partition(" ")
            resolved, _, resolved_by = (r[14] or "").partition(" ")
            facts.append(
                TicketFact(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    dt(r[10]),
                    dt(r[11]),
                    dt(r[12]),
                    dt(accepted) if accepted else None,
                    int(accepted_by) if accepted_by else None,
                    dt(resolved) if resolved else None,
                    int(resolved_by) if resolved_by else None,
                    bool(r[15]),
                    bool(r[16]),
                )
            )
        return facts

    # ----- scheduled reports -----------------------------------------------------------------

    # ----- exports ---------------------------------------------------------------------------

    async def export_chunks(
        self, start: datetime, end: datetime, size: int = 2000
    ) -> AsyncIterator[ExportChunk]:
        """Tickets opened in [start, end), oldest first, with all their events and surveys,
        a chunk at a time so a year's export does not sit in memory at once."""
        after: tuple[str, int] = ("", 0)
        columns = ", ".join(TICKET_EXPORT_COLUMNS)
        while True:
            rows = await self._fetchall(
                f"SELECT {columns} FROM tickets WHERE created_at >= ? AND created_at < ?"
                " AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?",
                (ts(start), ts(end), *after, size),
            )
            if not rows:
                return
            tickets = [dict(r) for r in rows]
            after = (tickets[-1]["created_at"], tickets[-1]["id"])
            ids = [t["id"] for t in tickets]
            marks = ", ".join("?" * len(ids))
            events = await self._fetchall(
                "SELECT e.ticket_id, t.number, e.at, e.kind, e.actor_id, e.data"
                " FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
                f" WHERE e.ticket_id IN ({marks}) ORDER BY e.ticket_id, e.id",
                ids,
            )
            surveys = await self._fetchall(
                f"SELECT s.{', s.'.join(c for c in SURVEY_EXPORT_COLUMNS if c != 'number')},"
                " t.number FROM surveys s JOIN tickets t ON t.id = s.ticket_id"
                f" WHERE s.ticket_id IN ({marks}) ORDER BY s.ticket_id, s.round",
                ids,
            )
            yield ExportChunk(tickets, [dict(r) for r in events], [dict(r) for r in surveys])
            if len(rows) < size:
                return
