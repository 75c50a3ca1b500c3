"""From config.yaml's roster to a routing decision for one ticket (pure: the caller passes time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.config import Settings
from bot.core.roster import Roster, RosterException, RouteDecision, Shift, route
from bot.timewindow import WEEKDAYS


def roster_of(settings: Settings) -> Roster:
    """The duty roster config.yaml describes."""
    shifts = tuple(
        Shift(
            department=s.department,
            estate=s.estate,
            staff=tuple(s.staff),
            days=frozenset(WEEKDAYS.index(d) for d in s.days),
            start=s.hours.start,
            end=s.hours.end,
        )
        for s in settings.roster
    )
    exceptions = tuple(
        RosterException(
            day=e.date,
            staff=e.staff,
            off=e.off,
            department=e.department,
            start=e.hours.start if e.hours else None,
            end=e.hours.end if e.hours else None,
        )
        for e in settings.roster_exceptions
    )
    return Roster(shifts=shifts, exceptions=exceptions, tz=settings.tz)


def route_ticket(
    settings: Settings,
    roster: Roster,
    department: str,
    estate: str,
    at: datetime,
    open_load: Mapping[int, int],
    recent: Sequence[int],
    unavailable: frozenset[int],
) -> RouteDecision:
    """Who should get a ticket: the least-loaded person on duty, else the department fallback."""
    dept = settings.department(department)
    return route(
        roster,
        department,
        estate,
        at,
        open_load,
        recent,
        unavailable,
        fallback=dept.fallback if dept else None,
    )
