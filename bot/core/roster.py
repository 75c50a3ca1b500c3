"""The duty roster: who is on duty for a department and estate at a moment, and who gets a ticket.

Pure: the caller passes the moment; nothing here reads the clock, the database or Telegram.

Shift windows are wall-clock times in the company's zone. ``end <= start`` means the shift runs
past midnight into the next day, and ``end == start`` means a full 24-hour duty (00:00–00:00 is
"all day"; 08:00–08:00 is the common 24-hour 值班 that hands over at eight). An overnight shift
belongs to the day it starts on: Monday 22:00–08:00 covers Tuesday 03:00 only when Monday is one
of its days. Instants are compared in UTC, so a shift across a DST change lasts an hour more or
less in real time but always starts and ends at its wall-clock times.

Exceptions for one date:
- ``off`` with no window: the person's regular shifts that *start* that date do not count. The
  night shift that started the evening before still does (it is that evening's duty); mark the
  previous date off as well to drop it.
- ``off`` with a window: the person is off during that window (wrapping past midnight like a
  shift) on their regular shifts.
- not ``off``: an extra window worked that date (all day when no window is given). With no
  department it counts for every department the person has a regular shift in; it covers the
  estates those regular shifts cover, or every estate when they have none in that department.
Extra windows are always honoured, even on a date the same person is marked off: the extra
window is the more specific statement ("off for the day shift, covering the night").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

_DAY = timedelta(days=1)
# A weekly roster repeats after seven days; one more covers a night shift running into day 8.
_WEEK_HORIZON_DAYS = 8

Reason = Literal["on_duty", "fallback", "nobody"]


@dataclass(frozen=True)
class Shift:
    """A recurring duty window for some staff of a department (estate None = every estate)."""

    department: str
    estate: str | None
    staff: tuple[int, ...]
    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        """Reject values whose meaning would be a guess."""
        if not self.days <= frozenset(range(7)):
            raise ValueError(f"shift days {sorted(self.days)}: use 0 (Monday) to 6 (Sunday)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("shift times are local to the roster's zone; give them no tzinfo")


@dataclass(frozen=True)
class RosterException:
    """One person off, or working an extra window, on one date (see the module docstring)."""

    day: date
    staff: int
    off: bool = True
    department: str | None = None
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        """A window needs both ends or neither."""
        if (self.start is None) != (self.end is None):
            raise ValueError(f"exception on {self.day} for {self.staff}: give start and end both")
        for t in (self.start, self.end):
            if t is not None and t.tzinfo is not None:
                raise ValueError("exception times are local to the roster's zone; no tzinfo")


@dataclass(frozen=True)
class Roster:
    """The shifts and dated exceptions of one company, in its time zone."""

    shifts: tuple[Shift, ...]
    exceptions: tuple[RosterException, ...]
    tz: ZoneInfo


@dataclass(frozen=True)
class RouteDecision:
    """Who gets a ticket and why; ``candidates`` are the staff who were on duty."""

    assignee: int | None
    reason: Reason
    candidates: tuple[int, ...]


@dataclass(frozen=True)
class _Span:
    """One person's coverage (or absence) as a half-open UTC interval."""

    staff: int
    start: datetime
    end: datetime

    def covers(self, t: datetime) -> bool:
        return self.start <= t < self.end


def _utc(dt: datetime, name: str) -> datetime:
    """The instant in UTC; naive datetimes are refused because their zone would be a guess."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {dt!r}")
    return dt.astimezone(UTC)


def _window(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A wall-clock window starting on ``day`` in UTC; end <= start wraps to the next day."""
    end_day = day if end > start else day + _DAY
    return (
        datetime.combine(day, start, tzinfo=tz).astimezone(UTC),
        datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC),
    )


def _matches(shift: Shift, department: str, estate: str | None) -> bool:
    return shift.department == department and (shift.estate is None or shift.estate == estate)


def _extra_applies(
    roster: Roster, exc: RosterException, department: str, estate: str | None
) -> bool:
    """Whether an extra window counts for this department and estate (module docstring rules)."""
    own = [s for s in roster.shifts if exc.staff in s.staff]
    if exc.department is None:
        if department not in {s.department for s in own}:
            return False
    elif exc.department != department:
        return False
    estates = {s.estate for s in own if s.department == department}
    return not estates or None in estates or estate in estates


def _coverage(roster: Roster, department: str, estate: str | None, day: date) -> list[_Span]:
    """Duty spans that start on local date ``day``: regular shifts less day-offs, plus extras."""
    day_off = {
        e.staff
        for e in roster.exceptions
        if e.day == day
        and e.off
        and e.start is None
        and (e.department is None or e.department == department)
    }
    spans: list[_Span] = []
    weekday = day.weekday()
    for shift in roster.shifts:
        if weekday not in shift.days or not _matches(shift, department, estate):
            continue
        start, end = _window(day, shift.start, shift.end, roster.tz)
        spans.extend(_Span(s, start, end) for s in shift.staff if s not in day_off)
    for e in roster.exceptions:
        if e.day != day or e.off or not _extra_applies(roster, e, department, estate):
            continue
        # No window means the whole date: 00:00–00:00 is a 24-hour span like any shift.
        window = (e.start, e.end) if e.start is not None and e.end is not None else (time(0),) * 2
        spans.append(_Span(e.staff, *_window(day, *window, roster.tz)))
    return spans


def _absences(roster: Roster, department: str, day: date) -> list[_Span]:
    """Windowed 'off' exceptions that start on local date ``day``."""
    return [
        _Span(e.staff, *_window(day, e.start, e.end, roster.tz))
        for e in roster.exceptions
        if e.day == day
        and e.off
        and e.start is not None
        and e.end is not None
        and (e.department is None or e.department == department)
    ]


def _staff_order(roster: Roster) -> dict[int, int]:
    """Roster-wide order of first appearance, so results do not depend on the time asked."""
    order: dict[int, int] = {}
    for shift in roster.shifts:
        for s in shift.staff:
            order.setdefault(s, len(order))
    for e in roster.exceptions:
        order.setdefault(e.staff, len(order))
    return order


def on_duty(
    roster: Roster,
    department: str,
    estate: str | None,
    at: datetime,
    unavailable: frozenset[int] = frozenset(),
) -> list[int]:
    """Staff on duty at ``at`` for the department and estate, minus those who went off duty."""
    t = _utc(at, "at")
    today = t.astimezone(roster.tz).date()
    # Every span is at most 25 h (a 24 h duty plus a DST hour), so only yesterday's and
    # today's starts can cover the moment.
    days = (today - _DAY, today)
    absent = {a.staff for d in days for a in _absences(roster, department, d) if a.covers(t)}
    absent |= unavailable
    covering = {
        span.staff
        for d in days
        for span in _coverage(roster, department, estate, d)
        if span.covers(t) and span.staff not in absent
    }
    order = _staff_order(roster)
    return sorted(covering, key=lambda s: order[s])


def pick_assignee(
    candidates: Sequence[int], open_load: Mapping[int, int], last_assigned: Sequence[int]
) -> int | None:
    """Fewest open tickets wins; ties go to whoever was assigned least recently."""
    if not candidates:
        return None
    last_seen = {staff: i for i, staff in enumerate(last_assigned)}

    def key(item: tuple[int, int]) -> tuple[int, int, int]:
        position, staff = item
        # -1 sorts someone never assigned before anyone in the history; position keeps it stable.
        return open_load.get(staff, 0), last_seen.get(staff, -1), position

    return min(enumerate(candidates), key=key)[1]


def route(
    roster: Roster,
    department: str,
    estate: str | None,
    at: datetime,
    open_load: Mapping[int, int],
    last_assigned: Sequence[int],
    unavailable: frozenset[int] = frozenset(),
    fallback: int | None = None,
) -> RouteDecision:
    """Pick the assignee among staff on duty, else the fallback (e.g. the supervisor), else nobody.

    The fallback is used even if they are marked unavailable: a ticket with no owner is a lost
    ticket, and the fallback is who answers for the desk when no one else is there.
    """
    candidates = tuple(on_duty(roster, department, estate, at, unavailable))
    chosen = pick_assignee(candidates, open_load, last_assigned)
    if chosen is not None:
        return RouteDecision(chosen, "on_duty", candidates)
    if fallback is not None:
        return RouteDecision(fallback, "fallback", candidates)
    return RouteDecision(None, "nobody", candidates)


def _days_to_scan(roster: Roster, today: date) -> Iterable[date]:
    """The weekly horizon plus the neighbourhood of every future exception."""
    days = {today + i * _DAY for i in range(-1, _WEEK_HORIZON_DAYS + 1)}
    for e in roster.exceptions:
        if e.day >= today - _DAY:
            days.update((e.day - _DAY, e.day, e.day + _DAY))
    return sorted(days)


def next_change(
    roster: Roster, department: str, estate: str | None, after: datetime
) -> datetime | None:
    """The first moment after ``after`` at which the on-duty set changes, or None if it never does.

    Useful to tell someone when coverage starts. Exceptions are taken into account however far
    ahead they are; ``/duty off`` is not, since it has no end time.
    """
    t = _utc(after, "after")
    today = t.astimezone(roster.tz).date()
    boundaries: set[datetime] = set()
    for day in _days_to_scan(roster, today):
        spans = _coverage(roster, department, estate, day) + _absences(roster, department, day)
        boundaries.update(b for span in spans for b in (span.start, span.end))
    current = set(on_duty(roster, department, estate, t))
    for b in sorted(b for b in boundaries if b > t):
        # A boundary may change nothing (back-to-back shifts of the same person): skip it.
        if set(on_duty(roster, department, estate, b)) != current:
            return b.astimezone(roster.tz)
    return None
