"""Report and dashboard reads every backend runs alike, over the seam (``bot.store.seam``).

Where the SQL only differs in how a JSON field, a moment or a list is said, the seam says it;
the period's ticket facts and the exports, which each dialect writes its own way, stay in the
backends' ``reports`` modules.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.facts import EventFact, PlaceTicket, SurveyFact
from bot.store import dashboard as d
from bot.store import sql
from bot.store.reports import EVERYTHING, Scope
from bot.store.rows import ticket_of
from bot.store.seam import Seam


class CommonReports(Seam):
    """ReportReads and ReportRuns where both dialects say the same."""

    async def period_events(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[EventFact]:
        """Resolutions, reopenings, cancellations and escalations in [start, end)."""
        only, params = self._scope_sql(scope, "t")
        join = "" if scope.everything else " JOIN tickets t ON t.id = e.ticket_id"
        rows = await self._rows(
            f"""
            SELECT e.ticket_id, e.kind, e.at, e.actor_id,
                   CASE WHEN e.kind IN ('reopened', 'escalated')
                        THEN {self._json("e.data", "from")} END AS from_id
            FROM ticket_events e{join}
            WHERE e.kind IN ('resolved', 'reopened', 'cancelled', 'escalated')
              AND e.at >= ? AND e.at < ?{only}
            """,
            (self._at(start), self._at(end), *params),
        )
        read = self._read
        return [EventFact(r[0], r[1], read(r[2]), r[3], _int(r[4])) for r in rows]

    async def surveys_sent(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[SurveyFact]:
        """Surveys sent in [start, end) and their answers."""
        only, params = self._scope_sql(scope, "t")
        join = "" if scope.everything else " JOIN tickets t ON t.id = s.ticket_id"
        rows = await self._rows(
            f"""
            SELECT s.ticket_id, s.staff_id, s.sent_at, s.rating,
                   s.status = 'answered' OR s.answered_at IS NOT NULL AS answered,
                   s.praise IS NOT NULL AND trim(s.praise) != '' AS praised
            FROM surveys s{join} WHERE s.sent_at >= ? AND s.sent_at < ?{only}
            """,
            (self._at(start), self._at(end), *params),
        )
        read = self._read
        return [SurveyFact(r[0], r[1], read(r[2]), bool(r[4]), r[3], bool(r[5])) for r in rows]

    async def place_tickets(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[PlaceTicket]:
        """Tickets opened in [start, end): where, what and their numbers."""
        only, params = self._scope_sql(scope, "t")
        rows = await self._rows(
            "SELECT number, kind, category, estate, building, area, created_at FROM tickets t"
            f" WHERE created_at >= ? AND created_at < ?{only}",
            (self._at(start), self._at(end), *params),
        )
        read = self._read
        return [PlaceTicket(r[0], r[1], r[2], r[3], r[4], r[5], read(r[6])) for r in rows]

    async def last_run(self, name: str) -> int | None:
        """The key of the last run of a scheduled report, or None if it never ran."""
        row = await self._row(sql.LAST_RUN, (_counter(name),))
        return int(row["value"]) if row else None

    async def claim_run(self, name: str, key: int) -> bool:
        """Record that run ``key`` of a report is being sent; False if it (or a later one) was.

        One statement, so of two processes (or a job that fires twice) exactly one wins.
        """
        return await self._row(sql.CLAIM_RUN, (_counter(name), key)) is not None


def _int(value: object) -> int | None:
    """A JSON number as SQL read it (text, or a number from SQLite; old rows may hold anything)."""
    if value is None or value == "":
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _counter(name: str) -> str:
    """Scheduled-report records live in the counters table under "report:<name>"."""
    return f"report:{name}"


class CommonDashboard(Seam):
    """BoardReads, and WebAuthStore's lone statements (built in bot.store.dashboard)."""

    async def add_session(
        self, session_hash: str, telegram_id: int, csrf: str, now: datetime
    ) -> None:
        """Start a browser session."""
        at = self._at(now)
        await self._change(d.ADD_SESSION, (session_hash, telegram_id, csrf, at, at))

    async def end_session(self, session_hash: str) -> None:
        """Sign out."""
        await self._change(d.END_SESSION, (session_hash,))

    async def board_tickets(self, query: d.BoardQuery, now: datetime) -> d.BoardPage:
        """A page of matching tickets, the most pressing first, and the total."""
        q = d.board_sql(query, now, self._among, self._at)
        if q.reads_text:
            ids = [int(r["id"]) for r in await self._rows(q.all_ids, q.params)]
            chosen = ids[query.offset : query.offset + query.limit]
            condition, params = self._among("t.id", chosen, "bigint")
            rows = await self._rows(f"{q.rows} WHERE {condition}{q.order}", params)
            return d.BoardPage([ticket_of(r, self._read) for r in rows], len(ids))
        rows = await self._rows(q.page, (*q.params, query.limit, query.offset))
        total = await self._row(q.count, q.params)
        n = int(total["n"]) if total else 0
        return d.BoardPage([ticket_of(r, self._read) for r in rows], n)
