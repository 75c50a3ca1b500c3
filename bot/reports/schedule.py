"""When scheduled reports fall due and which period each covers (pure: no clock, no Telegram).

A report run is identified by its period's first day (``Run.key``, e.g. 20261126), and the
store remembers the last key done per report. From that and the time now follow the run that is
due (at most one: after days of downtime only the latest period is sent, not a backlog) and the
next due time. Due times are local wall-clock times in the company's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from bot.core.periods import Period, days_period, month_period
from bot.timewindow import WEEKDAYS, Weekday

ReportKind = Literal["daily", "weekly", "monthly"]
REPORT_KINDS: tuple[ReportKind, ...] = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Run:
    """One report to send: the period it covers and when it is due."""

    kind: ReportKind
    period: Period
    due: datetime

    @property
    def key(self) -> int:
        """The period's first local day as YYYYMMDD (how the store remembers a run)."""
        return period_key(self.period)


@dataclass(frozen=True)
class Timing:
    """When reports go out: the time of day, the weekday of the weekly report, the zone."""

    at: time
    weekly_day: Weekday
    tz: tzinfo


def _due(day: date, timing: Timing) -> datetime:
    return datetime.combine(day, timing.at, tzinfo=timing.tz)


def run_on(kind: ReportKind, day: date, timing: Timing) -> Run:
    """The run sent on ``day`` (a due day of that kind): what it covers."""
    if kind == "daily":
        before = day - timedelta(days=1)
        return Run(kind, days_period(before, before, timing.tz, "day"), _due(day, timing))
    if kind == "weekly":
        # The seven days before the sending day, so a Monday report covers Monday–Sunday.
        period = days_period(day - timedelta(days=7), day - timedelta(days=1), timing.tz, "week")
        return Run(kind, period, _due(day, timing))
    last_month = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return Run(kind, month_period(last_month, timing.tz), _due(day.replace(day=1), timing))


def _due_days_back(kind: ReportKind, today: date, timing: Timing) -> list[date]:
    """The two latest due days on or before today, newest first."""
    if kind == "daily":
        return [today, today - timedelta(days=1)]
    if kind == "weekly":
        target = WEEKDAYS.index(timing.weekly_day)
        last = today - timedelta(days=(today.weekday() - target) % 7)
        return [last, last - timedelta(days=7)]
    first = today.replace(day=1)
    return [first, (first - timedelta(days=1)).replace(day=1)]


def latest(kind: ReportKind, now: datetime, timing: Timing) -> Run:
    """The most recent run whose due time has come."""
    today = now.astimezone(timing.tz).date()
    for day in _due_days_back(kind, today, timing):
        run = run_on(kind, day, timing)
        if run.due <= now:
            return run
    raise AssertionError("unreachable: the older due day is always past")


def upcoming(kind: ReportKind, now: datetime, timing: Timing) -> Run:
    """The first run due after ``now``."""
    today = now.astimezone(timing.tz).date()
    if kind == "daily":
        candidates = [today, today + timedelta(days=1)]
    elif kind == "weekly":
        target = WEEKDAYS.index(timing.weekly_day)
        nxt = today + timedelta(days=(target - today.weekday()) % 7)
        candidates = [nxt, nxt + timedelta(days=7)]
    else:
        first = today.replace(day=1)
        candidates = [first, (first + timedelta(days=32)).replace(day=1)]
    for day in candidates:
        run = run_on(kind, day, timing)
        if run.due > now:
            return run
    raise AssertionError("unreachable: the later due day is always ahead")


def pending(kind: ReportKind, last_done: int | None, now: datetime, timing: Timing) -> Run | None:
    """The run to send now, if its due time has come and it was not sent yet.

    Without a record (the first start) nothing is pending: reports begin with the next due
    time rather than pushing yesterday's digest the moment the bot is installed.
    """
    if last_done is None:
        return None
    run = latest(kind, now, timing)
    return run if run.key > last_done else None


def period_key(period: Period) -> int:
    """The key a period is remembered by (its first day as YYYYMMDD)."""
    return int(period.start.strftime("%Y%m%d"))


def describe(run: Run) -> str:
    """For logs: "daily 2026-11-26 due 2026-11-27 08:00+08:00"."""
    return f"{run.kind} {run.period.label} due {run.due.isoformat(timespec='minutes')}"
