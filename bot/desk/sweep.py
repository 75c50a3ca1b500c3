"""Scheduled work another replica planned: found in the database and put on this timer.

With several replicas, a ticket changed by one is planned on that one's timer only; if it
dies, its timer dies with it. Every replica therefore looks at the open tickets and pending
surveys every couple of seconds and plans those it has not seen in their current version.
Firing stays safe when several replicas hold the same entry: each firing re-reads the ticket
or survey and writes with a compare-and-set (docs/architecture.md, "Replicas").
"""

from __future__ import annotations

from datetime import datetime

from bot.desk.deadlines import DeadlineJobs
from bot.desk.surveys import SurveyJobs
from bot.store.interfaces import Storage

SurveyKey = tuple[str, datetime | None, datetime | None, str | None, datetime | None, datetime]


class Sweep:
    """Plans the due moments of tickets and surveys changed elsewhere since the last look."""

    def __init__(self, store: Storage, deadlines: DeadlineJobs, surveys: SurveyJobs) -> None:
        self.store = store
        self.deadlines = deadlines
        self.surveys = surveys
        self._tickets: dict[int, int] = {}  # ticket id → version planned
        self._surveys: dict[int, SurveyKey] = {}

    async def run(self) -> int:
        """Look once; returns how many tickets and surveys were planned anew."""
        planned = 0
        tickets = await self.store.tickets_in_progress()
        for ticket in tickets:
            if self._tickets.get(ticket.id) != ticket.version:
                await self.deadlines.schedule(ticket)
                self._tickets[ticket.id] = ticket.version
                planned += 1
        open_ids = {t.id for t in tickets}
        for gone in set(self._tickets) - open_ids:
            del self._tickets[gone]
        surveys = await self.store.surveys_pending()
        for survey in surveys:
            key: SurveyKey = (
                survey.status,
                survey.sent_at,
                survey.reminded_at,
                survey.followup_status,
                survey.followup_due,
                survey.due_at,
            )
            if self._surveys.get(survey.id) != key:
                self.surveys.schedule(survey)
                self._surveys[survey.id] = key
                planned += 1
        pending = {s.id for s in surveys}
        for gone in set(self._surveys) - pending:
            del self._surveys[gone]
        return planned
