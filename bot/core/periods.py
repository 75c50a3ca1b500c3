"""Report periods: spans of local days (a day, a week, a month or custom) and their parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property


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
