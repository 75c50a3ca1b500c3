"""Statistics over a period: counts, times, deadlines and satisfaction per group of tickets (pure).

The store hands over plain facts (``bot.core.facts``) — one per ticket, per timeline event and
per survey — and this module turns them into summaries per estate, department, category and
building; ``bot.core.appraisal`` and ``bot.core.hot_spots`` make the staff appraisal and the hot
spots of the same facts. No SQL, no Telegram, no clock: ``now`` is passed in.
Each ticket is judged once (``judge``); the sums per group then run over numpy arrays
(``Columns``), which keeps a month of a large estate company well under a second.

What counts in a period (each thing is counted in the period in which it happened, so the
digest of a day says what happened that day and a past month's report does not drift):
- opened: tickets created in the period;
- resolved, reopened, cancelled, escalations: those timeline events in the period;
- time to accept: tickets first accepted in the period, created → first ``accepted``;
- time to resolve: tickets whose last ``resolved`` falls in the period and that are still
  resolved or closed, created → that resolution (a reopened ticket counts once it is fixed);
- deadline shares: the same tickets, in time when the milestone came no later than the ticket's
  due time and no escalation of that stage is on record; open tickets whose due time passed in
  the period (before ``now``) count as missed;
- surveys: those sent in the period; answers rated 5 (very satisfied) … 1, satisfaction rate
  = (5 + 4) / answers, always with the number of answers and the response rate;
- not fixed rate: reopened / resolved events in the period.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

from bot.core.facts import EventFact, SurveyFact, TicketFact
from bot.core.periods import Period
from bot.core.summaries import RATINGS, Durations, Satisfaction, Share, Summary

OPEN: frozenset[str] = frozenset({"new", "assigned", "accepted"})
_BEFORE_ACCEPT: frozenset[str] = frozenset({"new", "assigned"})
DONE: frozenset[str] = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class PeriodFacts:
    """Everything a period's statistics are computed from."""

    period: Period
    now: datetime
    tickets: Sequence[TicketFact]
    events: Sequence[EventFact] = ()
    surveys: Sequence[SurveyFact] = ()

    @cached_property
    def judged(self) -> list[Judged]:
        """Each ticket's part in the period (in the order of ``tickets``), worked out once."""
        now = self.now.astimezone(UTC)  # one tzinfo everywhere: comparisons stay cheap
        return [judge(t, self.period, now) for t in self.tickets]

    @cached_property
    def columns(self) -> Columns:
        """The judged tickets, their events and surveys as arrays (for sums per group)."""
        return Columns(self)


class Judged(NamedTuple):
    """One ticket's part in a period's numbers."""

    opened: bool  # created in the period
    accept_seconds: float | None  # created → first accepted, when that was in the period
    resolve_seconds: float | None  # created → last resolved, when in the period and still so
    # Deadlines: True met, False missed, None not counted in this period (see ``judge``).
    accept_ok: bool | None
    resolve_ok: bool | None


def judge(t: TicketFact, period: Period, now: datetime) -> Judged:
    """What a ticket contributes to the period's times and deadlines.

    A deadline counts in the period its milestone falls in: met when the first acceptance (the
    last resolution, if the ticket is still resolved) came no later than the due time and no
    escalation of that stage is on record. An open ticket whose due time passed in the period,
    before ``now``, counts as missed.
    """
    # Written out in one function: it runs once per ticket of the period, tens of thousands.
    start, end = period.bounds
    created, accepted, resolved = t.created_at, t.accepted_at, t.resolved_at
    status = t.status
    accept_seconds = resolve_seconds = accept_ok = resolve_ok = None
    if accepted is not None:
        if start <= accepted < end:
            accept_seconds = (accepted - created).total_seconds()
            accept_ok = accepted <= t.accept_due and not t.accept_escalated
    elif status in _BEFORE_ACCEPT and start <= t.accept_due < end and t.accept_due < now:
        accept_ok = False
    if status in DONE and resolved is not None:
        if start <= resolved < end:
            resolve_seconds = (resolved - created).total_seconds()
            resolve_ok = resolved <= t.resolve_due and not t.resolve_escalated
    elif status in OPEN and start <= t.resolve_due < end and t.resolve_due < now:
        resolve_ok = False
    return Judged(start <= created < end, accept_seconds, resolve_seconds, accept_ok, resolve_ok)


def summary(facts: PeriodFacts, tickets: Sequence[TicketFact] | None = None) -> Summary:
    """The summary of some of the facts' tickets (all of them when ``tickets`` is None)."""
    columns = facts.columns
    if tickets is None:
        return columns.summary(None)
    index = columns.position
    return columns.summary(np.fromiter((index[t.id] for t in tickets), np.intp, len(tickets)))


_EVENT_KINDS = ("resolved", "reopened", "cancelled", "escalated")


class Columns:
    """The judged tickets of a period as arrays, one entry per ticket.

    A month has tens of thousands of tickets and every report sums them five times over
    (overall, per estate, department, category and building): as arrays each sum and
    percentile is one vector operation instead of a Python loop.
    """

    def __init__(self, facts: PeriodFacts) -> None:
        n = len(facts.tickets)
        nan = math.nan
        self.position = {t.id: i for i, t in enumerate(facts.tickets)}
        opened, accept, resolve, accept_ok, resolve_ok = (
            zip(*facts.judged, strict=True) if n else ((), (), (), (), ())
        )
        self.opened = np.array(opened, dtype=np.bool_)
        self.accept = np.array([nan if x is None else x for x in accept], dtype=np.float64)
        self.resolve = np.array([nan if x is None else x for x in resolve], dtype=np.float64)
        # Deadline outcomes: 1 met, 0 missed, -1 not counted in this period.
        self.accept_ok = np.array([-1 if x is None else x for x in accept_ok], dtype=np.int8)
        self.resolve_ok = np.array([-1 if x is None else x for x in resolve_ok], dtype=np.int8)

        def count(
            ticket_ids: Sequence[int],
            mask: np.ndarray[Any, Any] | None = None,
        ) -> np.ndarray[Any, Any]:
            """How many of the items (those where ``mask`` holds) belong to each ticket."""
            where = np.array([self.position.get(i, n) for i in ticket_ids], dtype=np.intp)
            if mask is not None:
                where = where[mask]
            # Items of tickets outside the facts land in an extra slot, dropped here.
            return np.bincount(where, minlength=n + 1)[:n]

        kinds = np.array([e.kind for e in facts.events], dtype=object)
        event_tickets = [e.ticket_id for e in facts.events]
        self.events = {kind: count(event_tickets, kinds == kind) for kind in _EVENT_KINDS}
        surveys = facts.surveys
        survey_tickets = [s.ticket_id for s in surveys]
        answered = np.array([s.answered for s in surveys], dtype=np.bool_)
        rating = np.array([s.rating or 0 for s in surveys], dtype=np.int8)
        self.sent = count(survey_tickets)
        self.answered = count(survey_tickets, answered)
        self.praised = count(survey_tickets, np.array([s.praised for s in surveys], dtype=np.bool_))
        self.ratings = {r: count(survey_tickets, answered & (rating == r)) for r in RATINGS}

    def summary(self, index: np.ndarray[Any, np.dtype[np.intp]] | None) -> Summary:
        """The summary of the tickets at ``index`` (all when None)."""

        def pick(column: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
            return column if index is None else column[index]

        def total(column: np.ndarray[Any, Any]) -> int:
            return int(pick(column).sum())

        accept_ok, resolve_ok = pick(self.accept_ok), pick(self.resolve_ok)
        return Summary(
            opened=total(self.opened),
            resolved=total(self.events["resolved"]),
            reopened=total(self.events["reopened"]),
            cancelled=total(self.events["cancelled"]),
            escalations=total(self.events["escalated"]),
            accept=_durations(pick(self.accept)),
            resolve=_durations(pick(self.resolve)),
            accept_deadline=Share(int((accept_ok == 1).sum()), int((accept_ok >= 0).sum())),
            resolve_deadline=Share(int((resolve_ok == 1).sum()), int((resolve_ok >= 0).sum())),
            satisfaction=Satisfaction(
                total(self.sent), {r: total(self.ratings[r]) for r in RATINGS}, total(self.answered)
            ),
            praise=total(self.praised),
        )


def _durations(seconds: np.ndarray[Any, np.dtype[np.float64]]) -> Durations:
    """Median and 90th percentile of the values that are not NaN (linear, like percentile)."""
    values = seconds[~np.isnan(seconds)]
    if not values.size:
        return Durations()
    median, p90 = np.percentile(np.maximum(values, 0.0), [50, 90])
    return Durations(
        int(values.size), timedelta(seconds=float(median)), timedelta(seconds=float(p90))
    )


DIMENSIONS: dict[str, Callable[[TicketFact], str]] = {
    "estate": attrgetter("estate"),
    "department": attrgetter("department"),
    "category": attrgetter("category"),
    "building": attrgetter("building_key"),
}
"""The ticket dimensions a report breaks down by (staff members have their own table)."""


def breakdown(facts: PeriodFacts, key: Callable[[TicketFact], str]) -> dict[str, Summary]:
    """One summary per group of tickets, the busiest group first."""
    names: dict[str, int] = {}
    codes = np.fromiter(
        (names.setdefault(key(t), len(names)) for t in facts.tickets), np.intp, len(facts.tickets)
    )
    order = np.argsort(codes, kind="stable")
    edges = np.searchsorted(codes[order], np.arange(len(names) + 1))
    columns = facts.columns
    result = {
        name: columns.summary(order[edges[code] : edges[code + 1]]) for name, code in names.items()
    }
    return dict(sorted(result.items(), key=lambda kv: (-kv[1].opened, -kv[1].resolved, kv[0])))
