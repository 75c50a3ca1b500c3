"""Deadline arithmetic: business hours, working days, holidays and paused clocks.

Pure: the caller passes every ``now``; nothing here reads the clock, a file or the network.
All datetimes must be timezone-aware. Arithmetic is done on UTC instants, because Python compares
and subtracts two datetimes that share a tzinfo by their wall clocks, which is wrong across a DST
change; results are handed back in the calendar's zone.

Two clocks exist (docs/architecture.md, "Deadlines"):
- ``"always"``: elapsed real time, for emergencies that count around the clock;
- ``"business"``: only time inside the business windows of working days counts. A duration of
  whole days ("resolve within 2 working days") counts working days instead of hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.holidays_cn import region_days

Clock = Literal["always", "business"]
CLOCKS: tuple[Clock, ...] = ("always", "business")

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# A calendar with no working time would make every search run forever; after this many
# consecutive days without a single window we give up and say the calendar is broken.
_MAX_IDLE_DAYS = 800

ESTIMATED_YEAR_WARNING = (
    "no official holiday data for {year}: dates are estimated; "
    "add them to business_hours.extra_holidays/extra_workdays in config.yaml"
)


@dataclass(frozen=True)
class BusinessCalendar:
    """When business time runs: daily windows on working days in one time zone."""

    tz: ZoneInfo
    windows: tuple[tuple[time, time], ...]
    workdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    # date → language → name, for telling a person why a day is off (never used in arithmetic)
    holiday_names: Mapping[date, Mapping[str, str]] = field(
        default_factory=dict, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        """Reject windows that would make the arithmetic ambiguous."""
        if not self.windows:
            raise ValueError("business calendar needs at least one window")
        previous_end: time | None = None
        for start, end in self.windows:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"window {start}-{end}: times are local, give them no tzinfo")
            # Windows never cross midnight: business hours that do are better split in two.
            if not start < end:
                raise ValueError(f"window {start}-{end}: start must be before end")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"window {start}-{end}: windows must be sorted and not overlap")
            previous_end = end
        if not self.workdays <= frozenset(range(7)):
            raise ValueError(f"workdays {sorted(self.workdays)}: use 0 (Monday) to 6 (Sunday)")

    def is_working_day(self, day: date) -> bool:
        """True on a listed weekday that is no holiday, and on every make-up working day."""
        if day in self.extra_workdays:
            return True
        return day.weekday() in self.workdays and day not in self.holidays


# --- internals ------------------------------------------------------------------------------


def _utc(dt: datetime, name: str = "datetime") -> datetime:
    """The same instant in UTC; refuses naive datetimes, whose meaning would be a guess."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {dt!r}")
    return dt.astimezone(UTC)


def _windows_on(day: date, cal: BusinessCalendar) -> list[tuple[datetime, datetime]]:
    """The business windows of one local date as UTC instants (none on a day off)."""
    if not cal.is_working_day(day):
        return []
    return [
        (
            datetime.combine(day, start, tzinfo=cal.tz).astimezone(UTC),
            datetime.combine(day, end, tzinfo=cal.tz).astimezone(UTC),
        )
        for start, end in cal.windows
    ]


def _idle_error() -> ValueError:
    return ValueError(f"business calendar has no working time within {_MAX_IDLE_DAYS} days")


def _intervals_after(t: datetime, cal: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    """Business intervals from UTC instant ``t`` onwards, the first one clipped to start at t."""
    day = t.astimezone(cal.tz).date()
    idle = 0
    while True:
        found = False
        for start, end in _windows_on(day, cal):
            if end > t:
                found = True
                yield max(start, t), end
        idle = 0 if found else idle + 1
        if idle > _MAX_IDLE_DAYS:
            raise _idle_error()
        day += _DAY


def _intervals_before(t: datetime, cal: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    """Business intervals before UTC instant ``t``, latest first, the first clipped to end at t."""
    day = t.astimezone(cal.tz).date()
    idle = 0
    while True:
        found = False
        for start, end in reversed(_windows_on(day, cal)):
            if start < t:
                found = True
                yield start, min(end, t)
        idle = 0 if found else idle + 1
        if idle > _MAX_IDLE_DAYS:
            raise _idle_error()
        day -= _DAY


def _nth_working_day_after(day: date, n: int, cal: BusinessCalendar) -> date:
    """The n-th working day strictly after ``day``."""
    idle = 0
    while n > 0:
        day += _DAY
        if cal.is_working_day(day):
            n -= 1
            idle = 0
        else:
            idle += 1
            if idle > _MAX_IDLE_DAYS:
                raise _idle_error()
    return day


# --- business time --------------------------------------------------------------------------


def is_business_time(at: datetime, cal: BusinessCalendar) -> bool:
    """True when ``at`` falls inside a window (start inclusive, end exclusive) of a working day."""
    t = _utc(at, "at")
    return any(start <= t < end for start, end in _windows_on(t.astimezone(cal.tz).date(), cal))


def next_business_moment(at: datetime, cal: BusinessCalendar) -> datetime:
    """``at`` itself during business hours, otherwise the next window opening."""
    t = _utc(at, "at")
    start, _ = next(_intervals_after(t, cal))
    return start.astimezone(cal.tz)


def business_time_between(a: datetime, b: datetime, cal: BusinessCalendar) -> timedelta:
    """Business time from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    ta, tb = _utc(a, "a"), _utc(b, "b")
    if tb < ta:
        return -business_time_between(b, a, cal)
    total = _ZERO
    for start, end in _intervals_after(ta, cal):
        if start >= tb:
            break
        total += min(end, tb) - start
    return total


def add_business_time(start: datetime, duration: timedelta, cal: BusinessCalendar) -> datetime:
    """The moment ``duration`` of business time after ``start``.

    A start outside business hours begins counting at the next window opening. A deadline that
    uses up a window exactly ends at that window's close rather than at the next opening.
    """
    t = _utc(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if duration == _ZERO:
        return t.astimezone(cal.tz)
    left = duration
    for begin, end in _intervals_after(t, cal):
        span = end - begin
        if left <= span:
            return (begin + left).astimezone(cal.tz)
        left -= span
    raise AssertionError("unreachable: _intervals_after is endless or raises")  # pragma: no cover


def add_working_days(start: datetime, days: int, cal: BusinessCalendar) -> datetime:
    """The same local time of day ``days`` working days later.

    A start outside business hours (night, lunch, weekend, holiday) counts from the close of the
    last window before it: filed Friday 20:00 with 2 working days is due Tuesday at close of
    business — the same amount of business time as counting from Monday's opening, but shown as
    the end of a day, which is what people expect. ``days == 0`` returns ``start`` unchanged.
    """
    t = _utc(start, "start")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    if days == 0:
        return t.astimezone(cal.tz)
    if is_business_time(t, cal):
        anchor = t.astimezone(cal.tz)
    else:
        _, last_close = next(_intervals_before(t, cal))
        anchor = last_close.astimezone(cal.tz)
    target = _nth_working_day_after(anchor.date(), days, cal)
    # Windows are the same on every working day, so the same wall time is inside a window again.
    return datetime.combine(target, anchor.time(), tzinfo=cal.tz)


def due_at(start: datetime, duration: timedelta, clock: Clock, cal: BusinessCalendar) -> datetime:
    """When a deadline of ``duration`` started at ``start`` falls due on ``clock``.

    "always" adds elapsed time (4 h across a DST change is still 4 real hours). "business"
    counts working days for whole-day durations and business time otherwise.
    """
    t = _utc(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if clock == "always":
        return (t + duration).astimezone(cal.tz)
    if clock != "business":
        raise ValueError(f"unknown clock {clock!r}; use one of {CLOCKS}")
    if duration > _ZERO and duration % _DAY == _ZERO:
        return add_working_days(t, duration // _DAY, cal)
    return add_business_time(t, duration, cal)


def _span(a: datetime, b: datetime, clock: Clock, cal: BusinessCalendar) -> timedelta:
    """Time from ``a`` to ``b`` as ``clock`` measures it."""
    if clock == "always":
        return _utc(b, "b") - _utc(a, "a")
    return business_time_between(a, b, cal)


def _advance(t: datetime, amount: timedelta, clock: Clock, cal: BusinessCalendar) -> datetime:
    """``t`` moved on by ``amount`` as ``clock`` measures time."""
    if clock == "always":
        return (_utc(t) + amount).astimezone(cal.tz)
    return add_business_time(t, amount, cal)


def fraction_point(
    start: datetime, due: datetime, fraction: float, clock: Clock, cal: BusinessCalendar
) -> datetime:
    """The moment ``fraction`` of the way from ``start`` to ``due`` (0.75 → a nudge at 75 %)."""
    if fraction < 0:
        raise ValueError(f"fraction must not be negative, got {fraction}")
    if fraction == 1:
        # Returned as given: in business time a close and the next opening are the same point,
        # and callers compare this with the due time they stored.
        return _utc(due, "due").astimezone(cal.tz)
    total = _span(start, due, clock, cal)
    if total < _ZERO:
        raise ValueError(f"due {due} is before start {start}")
    return _advance(start, total * fraction, clock, cal)


# --- paused clocks --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineClock:
    """A running or paused deadline; ``paused_total`` is measured in the deadline's own clock.

    A ticket waiting for the owner (no access to the flat) pauses its clock; resuming adds the
    paused span to the due time. On a business clock a pause over a weekend adds nothing.
    """

    started: datetime
    duration: timedelta
    clock: Clock
    paused_at: datetime | None = None
    paused_total: timedelta = field(default=_ZERO)

    def __post_init__(self) -> None:
        """Check the values a store row or caller could get wrong."""
        _utc(self.started, "started")
        if self.paused_at is not None:
            _utc(self.paused_at, "paused_at")
        if self.clock not in CLOCKS:
            raise ValueError(f"unknown clock {self.clock!r}; use one of {CLOCKS}")
        if self.duration < _ZERO or self.paused_total < _ZERO:
            raise ValueError("duration and paused_total must not be negative")

    @property
    def is_paused(self) -> bool:
        """True while the clock is stopped."""
        return self.paused_at is not None


def pause(c: DeadlineClock, at: datetime) -> DeadlineClock:
    """Stop the clock at ``at``; pausing a paused clock changes nothing (a repeated press)."""
    _utc(at, "at")
    if c.paused_at is not None:
        return c
    return replace(c, paused_at=at)


def resume(c: DeadlineClock, at: datetime, cal: BusinessCalendar) -> DeadlineClock:
    """Restart the clock at ``at``, adding the paused span; resuming a running clock is a no-op."""
    if c.paused_at is None:
        _utc(at, "at")
        return c
    if _utc(at, "at") < _utc(c.paused_at, "paused_at"):
        raise ValueError(f"resume at {at} is before the pause at {c.paused_at}")
    gap = _span(c.paused_at, at, c.clock, cal)
    return replace(c, paused_at=None, paused_total=c.paused_total + gap)


def _due_ignoring_pause(c: DeadlineClock, cal: BusinessCalendar) -> datetime:
    """The due time with the pauses completed so far, as if the clock were running."""
    base = due_at(c.started, c.duration, c.clock, cal)
    if c.paused_total == _ZERO:
        return base
    return _advance(base, c.paused_total, c.clock, cal)


def due(c: DeadlineClock, cal: BusinessCalendar) -> datetime | None:
    """When the deadline falls due, or None while the clock is paused."""
    if c.paused_at is not None:
        return None
    return _due_ignoring_pause(c, cal)


def remaining(c: DeadlineClock, at: datetime, cal: BusinessCalendar) -> timedelta:
    """Time left at ``at`` in the deadline's clock; negative once overdue, frozen while paused.

    On a business clock this stays at zero outside business hours after the due time, so decide
    "overdue" by comparing ``at`` with ``due()``, and use this for display.
    """
    reference = c.paused_at if c.paused_at is not None else at
    _utc(at, "at")
    return _span(reference, _due_ignoring_pause(c, cal), c.clock, cal)


# --- regional calendars --------------------------------------------------------------------


def cn_calendar(
    years: Iterable[int],
    tz: ZoneInfo,
    windows: tuple[tuple[time, time], ...],
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    workdays: frozenset[int] = frozenset(range(5)),
) -> tuple[BusinessCalendar, list[str]]:
    """A calendar with China's official holidays and make-up days, plus warnings for guesses."""
    return region_calendar("CN", years, tz, windows, extra_holidays, extra_workdays, workdays)


def region_calendar(
    country: str,
    years: Iterable[int],
    tz: ZoneInfo,
    windows: tuple[tuple[time, time], ...],
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    workdays: frozenset[int] = frozenset(range(5)),
) -> tuple[BusinessCalendar, list[str]]:
    """A calendar with a region's public holidays (and CN's make-up days), plus warnings.

    Pass every year a deadline may reach (this year and next). Dates from config win over the
    library: ``extra_workdays`` cancel a holiday, ``extra_holidays`` cancel a make-up day.
    """
    own_off = frozenset(extra_holidays)
    own_on = frozenset(extra_workdays)
    if clash := sorted(own_off & own_on):
        listed = ", ".join(d.isoformat() for d in clash)
        raise ValueError(f"{listed}: listed in both extra_holidays and extra_workdays")
    official = region_days(country, years)
    cal = BusinessCalendar(
        tz=tz,
        windows=windows,
        workdays=workdays,
        holidays=(official.holidays - own_on) | own_off,
        extra_workdays=(official.makeup_workdays - own_off) | own_on,
        holiday_names=official.names,
    )
    warnings = [ESTIMATED_YEAR_WARNING.format(year=y) for y in official.estimated_years]
    return cal, warnings
