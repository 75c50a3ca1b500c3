"""Statistics over a period: counts, times, deadlines, satisfaction, appraisal, hot spots (pure).

The store hands over plain facts — one per ticket, per timeline event and per survey — and this
module turns them into summaries per estate, department, category, building and staff member,
the staff appraisal and the hot spots. No SQL, no Telegram, no clock: ``now`` is passed in.
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
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

RATINGS: tuple[int, ...] = (5, 4, 3, 2, 1)
OPEN: frozenset[str] = frozenset({"new", "assigned", "accepted"})
_BEFORE_ACCEPT: frozenset[str] = frozenset({"new", "assigned"})
_DONE: frozenset[str] = frozenset({"resolved", "closed"})
# Problems owners report; enquiries, suggestions and praise are not "repeated complaints".
PROBLEM_KINDS: frozenset[str] = frozenset({"repair", "complaint"})
NO_KEY = ""
"""The group of tickets that lack a dimension (e.g. no building: estate-wide areas)."""


# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A span of local days [start, end) in the company's timezone."""

    start: datetime
    end: datetime
    kind: str  # day, week, month or custom
    label: str

    def days(self, tz: tzinfo) -> list[date]:
        """The local dates the period covers."""
        first = self.start.astimezone(tz).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(tz).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def contains(self, moment: datetime | None) -> bool:
        """Whether a moment lies in the period."""
        start, end = self.bounds
        return moment is not None and start <= moment < end

    @cached_property
    def bounds(self) -> tuple[datetime, datetime]:
        """Start and end in UTC, the zone of stored moments: comparing datetimes of one tzinfo
        skips the offset lookups that otherwise dominate a month's report."""
        return self.start.astimezone(UTC), self.end.astimezone(UTC)


_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|–|—|to)\s*(\d{4}-\d{2}-\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
MAX_DAYS = 400
PERIOD_WORDS: tuple[str, ...] = (
    "day",
    "yesterday",
    "week",
    "last-week",
    "month",
    "last-month",
)


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def days_period(first: date, last: date, tz: tzinfo, kind: str = "custom") -> Period:
    """The local days ``first`` … ``last`` (inclusive) as a period."""
    if last < first:
        raise ValueError(f"{last} is before {first}")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days at a time")
    if kind == "day":
        label = first.isoformat()
    elif kind == "month":
        label = first.strftime("%Y-%m")
    else:
        label = f"{first.isoformat()}..{last.isoformat()}"
    return Period(_midnight(first, tz), _midnight(last + timedelta(days=1), tz), kind, label)


def _month_start(day: date, back: int = 0) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def month_period(first: date, tz: tzinfo) -> Period:
    """The calendar month that starts on ``first``."""
    nxt = _month_start(first, -1)
    return days_period(first, nxt - timedelta(days=1), tz, "month")


def week_period(monday: date, tz: tzinfo) -> Period:
    """The seven days from ``monday``."""
    return days_period(monday, monday + timedelta(days=6), tz, "week")


def parse_period(spec: str, now: datetime, tz: tzinfo) -> Period:
    """A period from words (day, yesterday, week, last-week, month, last-month) or dates
    (YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, YYYY-MM); ValueError names what was wrong."""
    text = spec.strip().lower()
    today = now.astimezone(tz).date()
    if text in ("day", "today"):
        return days_period(today, today, tz, "day")
    if text == "yesterday":
        day = today - timedelta(days=1)
        return days_period(day, day, tz, "day")
    if text in ("week", "last-week"):
        monday = today - timedelta(days=today.weekday())
        return week_period(monday - timedelta(days=7 * (text == "last-week")), tz)
    if text in ("month", "last-month"):
        return month_period(_month_start(today, int(text == "last-month")), tz)
    try:
        if match := _RANGE.fullmatch(text):
            first, last = (date.fromisoformat(g) for g in match.groups())
            return days_period(first, last, tz)
        if match := _MONTH.fullmatch(text):
            return month_period(date(int(match[1]), int(match[2]), 1), tz)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{spec!r}: {exc}") from None
    return days_period(day, day, tz, "day")


# --- facts ------------------------------------------------------------------------------------


class TicketFact(NamedTuple):
    """What the statistics need of one ticket (and of its timeline, condensed).

    Facts are named tuples rather than dataclasses: a month holds tens of thousands, and
    tuples are built several times faster.
    """

    id: int
    number: str
    kind: str
    category: str
    department: str
    estate: str
    building: str | None
    area: str | None
    status: str
    assignee_id: int | None
    created_at: datetime
    accept_due: datetime
    resolve_due: datetime
    accepted_at: datetime | None = None  # the first acceptance
    accepted_by: int | None = None
    resolved_at: datetime | None = None  # the last resolution
    resolved_by: int | None = None
    accept_escalated: bool = False  # an accept deadline was missed and escalated
    resolve_escalated: bool = False

    @property
    def building_key(self) -> str:
        """Estate and building ("harbour_view/3"): building ids repeat across estates."""
        return f"{self.estate}/{self.building}" if self.building else NO_KEY


class EventFact(NamedTuple):
    """A timeline event in the period: resolved, reopened, cancelled or escalated."""

    ticket_id: int
    kind: str
    at: datetime
    actor_id: int | None
    from_id: int | None = None  # who had the ticket (reopened, escalated)


class SurveyFact(NamedTuple):
    """A survey sent in the period and its answer, if any."""

    ticket_id: int
    staff_id: int | None
    sent_at: datetime
    answered: bool
    rating: int | None
    praised: bool


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


# --- results ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float, *, ordered: bool = False) -> float:
    """The q-quantile (0 ≤ q ≤ 1) with linear interpolation between ranks (numpy's default);
    ``ordered`` says the values are sorted already."""
    if not values:
        raise ValueError("no values")
    if not ordered:
        values = sorted(values)
    pos = (len(values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)


@dataclass(frozen=True)
class Durations:
    """How long something took: count, median and 90th percentile."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None

    @classmethod
    def of(cls, spans: Iterable[timedelta]) -> Durations:
        """The summary of some spans."""
        return cls.of_seconds(s.total_seconds() for s in spans)

    @classmethod
    def of_seconds(cls, seconds: Iterable[float]) -> Durations:
        """The summary of some spans in seconds (negative ones, from clock trouble, count as
        zero)."""
        ordered = sorted(max(s, 0.0) for s in seconds)
        if not ordered:
            return cls()
        return cls(
            len(ordered),
            timedelta(seconds=percentile(ordered, 0.5, ordered=True)),
            timedelta(seconds=percentile(ordered, 0.9, ordered=True)),
        )


@dataclass(frozen=True)
class Share:
    """How many of some cases met a deadline."""

    met: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """met / total, or None without cases."""
        return self.met / self.total if self.total else None

    def __add__(self, other: Share) -> Share:
        return Share(self.met + other.met, self.total + other.total)


@dataclass(frozen=True)
class Satisfaction:
    """Survey results: sent, answered, the 5…1 distribution."""

    sent: int = 0
    distribution: Mapping[int, int] = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))
    answered: int = 0  # answers without a rating (none expected) count here but not below

    @property
    def rated(self) -> int:
        """Answers with a rating."""
        return sum(self.distribution.values())

    @property
    def response_rate(self) -> float | None:
        """answered / sent."""
        return self.answered / self.sent if self.sent else None

    @property
    def average(self) -> float | None:
        """The mean rating (5 best)."""
        rated = self.rated
        return sum(r * n for r, n in self.distribution.items()) / rated if rated else None

    @property
    def satisfied_rate(self) -> float | None:
        """(very satisfied + satisfied) / rated answers."""
        rated = self.rated
        return (self.distribution[5] + self.distribution[4]) / rated if rated else None

    @classmethod
    def of(cls, surveys: Iterable[SurveyFact]) -> Satisfaction:
        """The results of some surveys."""
        sent = answered = 0
        distribution = dict.fromkeys(RATINGS, 0)
        for survey in surveys:
            sent += 1
            if survey.answered:
                answered += 1
                if survey.rating in distribution:
                    distribution[survey.rating] += 1
        return cls(sent, distribution, answered)


@dataclass(frozen=True)
class Summary:
    """The numbers of one group of tickets (or all) over a period."""

    opened: int = 0
    resolved: int = 0
    reopened: int = 0
    cancelled: int = 0
    escalations: int = 0
    accept: Durations = Durations()
    resolve: Durations = Durations()
    accept_deadline: Share = Share()
    resolve_deadline: Share = Share()
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    praise: int = 0

    @property
    def not_fixed_rate(self) -> float | None:
        """Reopened / resolved (events in the period)."""
        return self.reopened / self.resolved if self.resolved else None

    @property
    def deadline(self) -> Share:
        """Accept and resolve deadlines together."""
        return self.accept_deadline + self.resolve_deadline


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
    if status in _DONE and resolved is not None:
        if start <= resolved < end:
            resolve_seconds = (resolved - created).total_seconds()
            resolve_ok = resolved <= t.resolve_due and not t.resolve_escalated
    elif status in OPEN and start <= t.resolve_due < end and t.resolve_due < now:
        resolve_ok = False
    return Judged(start <= created < end, accept_seconds, resolve_seconds, accept_ok, resolve_ok)


def _share(outcomes: Iterable[bool | None]) -> Share:
    counted = [o for o in outcomes if o is not None]
    return Share(sum(counted), len(counted))


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


# --- staff appraisal --------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    """One line of the staff appraisal."""

    staff_id: int
    handled: int  # tickets they accepted or resolved in the period
    accept: Durations
    resolve: Durations
    deadline: Share  # their accept and resolve deadlines together
    ratings: int
    average_rating: float | None
    praise: int
    resolved: int  # resolve events in the period
    reopened: int  # reopenings of tickets they had resolved

    @property
    def reopen_rate(self) -> float | None:
        """Reopened / resolved."""
        return self.reopened / self.resolved if self.resolved else None


def appraisal(facts: PeriodFacts) -> list[StaffRow]:
    """Per staff member: handled, times, deadlines, rating, praise, reopen rate; busiest first.

    Acceptance belongs to whoever accepted first, resolution to whoever resolved last, a missed
    deadline of an open ticket to its assignee, a survey to the staff member it rates, and a
    reopening to whoever had the ticket when the owner said it was not fixed.
    """
    handled: dict[int, set[int]] = defaultdict(set)
    accept: dict[int, list[float]] = defaultdict(list)
    resolve: dict[int, list[float]] = defaultdict(list)
    deadline: dict[int, list[bool]] = defaultdict(list)
    for t, j in zip(facts.tickets, facts.judged, strict=True):
        if j.accept_seconds is not None and t.accepted_by is not None:
            handled[t.accepted_by].add(t.id)
            accept[t.accepted_by].append(j.accept_seconds)
        if j.resolve_seconds is not None and t.resolved_by is not None:
            handled[t.resolved_by].add(t.id)
            resolve[t.resolved_by].append(j.resolve_seconds)
        for outcome, owner in (
            (j.accept_ok, t.accepted_by or t.assignee_id),
            (j.resolve_ok, t.resolved_by if t.status in _DONE else t.assignee_id),
        ):
            if outcome is not None and owner is not None:
                deadline[owner].append(outcome)
    resolved: dict[int, int] = defaultdict(int)
    reopened: dict[int, int] = defaultdict(int)
    for e in facts.events:
        if e.kind == "resolved" and e.actor_id is not None:
            resolved[e.actor_id] += 1
        elif e.kind == "reopened" and e.from_id is not None:
            reopened[e.from_id] += 1
    ratings: dict[int, list[int]] = defaultdict(list)
    praise: dict[int, int] = defaultdict(int)
    for s in facts.surveys:
        if s.staff_id is None:
            continue
        if s.answered and s.rating is not None:
            ratings[s.staff_id].append(s.rating)
        praise[s.staff_id] += s.praised
    people = (
        set(handled)
        | set(deadline)
        | set(resolved)
        | set(reopened)
        | set(ratings)
        | {p for p, n in praise.items() if n}
    )
    rows = [
        StaffRow(
            staff_id=p,
            handled=len(handled[p]),
            accept=Durations.of_seconds(accept[p]),
            resolve=Durations.of_seconds(resolve[p]),
            deadline=_share(deadline[p]),
            ratings=len(ratings[p]),
            average_rating=sum(ratings[p]) / len(ratings[p]) if ratings[p] else None,
            praise=praise[p],
            resolved=resolved[p],
            reopened=reopened[p],
        )
        for p in people
    ]
    return sorted(rows, key=lambda r: (-r.handled, -r.resolved, r.staff_id))


# --- hot spots --------------------------------------------------------------------------------


class PlaceTicket(NamedTuple):
    """A problem report for the hot-spot search: where, what, when, which number."""

    number: str
    kind: str
    category: str
    estate: str
    building: str | None
    area: str | None
    created_at: datetime


@dataclass(frozen=True)
class HotSpot:
    """A place where one kind of problem keeps coming back."""

    estate: str
    building: str | None
    area: str | None  # the common area; None for reports from flats of the building
    category: str
    numbers: tuple[str, ...]  # oldest first

    @property
    def count(self) -> int:
        """How many reports."""
        return len(self.numbers)


def hot_spots(
    tickets: Iterable[PlaceTicket], end: datetime, days: int = 30, minimum: int = 3
) -> list[HotSpot]:
    """Places (a common area, else estate + building) with at least ``minimum`` reports of one
    category in the ``days`` before ``end``, most reports first."""
    end = end.astimezone(UTC)  # the facts' own zone: comparisons take the fast path
    start = end - timedelta(days=days)
    groups: dict[tuple[str, str | None, str | None, str], list[PlaceTicket]] = defaultdict(list)
    for t in tickets:
        if t.kind not in PROBLEM_KINDS or not start <= t.created_at < end:
            continue
        if t.area is None and t.building is None:
            continue  # "somewhere on the estate" is not a place to send someone to
        groups[(t.estate, t.building, t.area, t.category)].append(t)
    spots = [
        HotSpot(
            estate,
            building,
            area,
            category,
            tuple(t.number for t in sorted(members, key=lambda m: (m.created_at, m.number))),
        )
        for (estate, building, area, category), members in groups.items()
        if len(members) >= minimum
    ]
    return sorted(
        spots, key=lambda s: (-s.count, s.estate, s.building or "", s.area or "", s.category)
    )


# --- series for charts ------------------------------------------------------------------------


def daily_opened(
    tickets: Iterable[PlaceTicket], days: Sequence[date], tz: tzinfo
) -> dict[str, list[int]]:
    """Tickets opened per local day, per category: category → one count per day."""
    index = {day: n for n, day in enumerate(days)}
    series: dict[str, list[int]] = {}
    for t in tickets:
        n = index.get(t.created_at.astimezone(tz).date())
        if n is None:
            continue
        series.setdefault(t.category, [0] * len(days))[n] += 1
    return dict(sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0])))


def daily_satisfaction(
    surveys: Iterable[SurveyFact], days: Sequence[date], tz: tzinfo
) -> list[Satisfaction]:
    """Survey results per local day of sending."""
    index = {day: n for n, day in enumerate(days)}
    buckets: list[list[SurveyFact]] = [[] for _ in days]
    for s in surveys:
        n = index.get(s.sent_at.astimezone(tz).date())
        if n is not None:
            buckets[n].append(s)
    return [Satisfaction.of(b) for b in buckets]


def heat_map(
    tickets: Iterable[TicketFact], period: Period
) -> tuple[list[str], list[str], list[list[int]]]:
    """Tickets opened in the period by category (rows) and building (columns), busiest first."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for t in tickets:
        if period.contains(t.created_at):
            counts[(t.category, t.building_key)] += 1
    rows = _busiest(counts, 0)
    cols = _busiest(counts, 1)
    return rows, cols, [[counts.get((r, c), 0) for c in cols] for r in rows]


def _busiest(counts: Mapping[tuple[str, str], int], axis: int) -> list[str]:
    totals: dict[str, int] = defaultdict(int)
    for key, n in counts.items():
        totals[key[axis]] += n
    return [k for k, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
