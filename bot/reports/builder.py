"""Gathering one report: the period's facts from the store, turned into statistics."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from bot.config.models import Settings
from bot.core.appraisal import StaffRow, appraisal
from bot.core.chart_series import daily_opened, daily_satisfaction, heat_map
from bot.core.facts import PlaceTicket, SurveyFact
from bot.core.hot_spots import HotSpot, hot_spots
from bot.core.incident_stats import (
    IncidentFact,
    IncidentSummary,
    active_in,
    spot_incident,
    summarize,
)
from bot.core.periods import Period
from bot.core.stats import DIMENSIONS, PeriodFacts, breakdown, summary
from bot.core.summaries import Satisfaction, Summary
from bot.store.interfaces import ReportSource
from bot.store.reports import EVERYTHING, Scope

log = logging.getLogger(__name__)

NO_INCIDENTS = summarize(())
SERIES_DAYS = 14
"""Per-day charts show at least this many days, so a daily digest still shows a trend."""


@dataclass(frozen=True)
class Report:
    """Everything a report shows, computed once for text, charts and the terminal."""

    period: Period
    now: datetime
    scope: Scope
    overall: Summary
    breakdowns: dict[str, dict[str, Summary]]  # dimension → group → summary
    staff: list[StaffRow]
    hot_spots: list[HotSpot]
    hot_days: int
    hot_minimum: int
    series_days: list[date]
    opened_by_day: dict[str, list[int]]  # category → tickets opened per day of series_days
    satisfaction_by_day: list[Satisfaction]
    heat: tuple[list[str], list[str], list[list[int]]]  # categories, buildings, counts
    seconds: float  # how long gathering took
    incidents: list[IncidentFact] = field(default_factory=list)  # going on in the period
    incident_summary: IncidentSummary = NO_INCIDENTS
    hot_incidents: tuple[int | None, ...] = ()  # the incident covering each hot spot

    @property
    def empty(self) -> bool:
        """Nothing at all happened in the period."""
        o = self.overall
        return not (
            o.opened
            or o.resolved
            or o.reopened
            or o.cancelled
            or o.escalations
            or o.accept_deadline.total
            or o.resolve_deadline.total
            or o.satisfaction.sent
            or self.incidents
        )


async def build_report(
    queries: ReportSource,
    settings: Settings,
    period: Period,
    now: datetime,
    scope: Scope = EVERYTHING,
) -> Report:
    """Read the period's facts and compute the report."""
    started = time.perf_counter()
    tz = settings.tz
    hot_days, hot_minimum = settings.reports.hotspot_days, settings.reports.hotspot_min
    days = period.days(tz)
    if len(days) < SERIES_DAYS:
        last = days[-1]
        days = [last - timedelta(days=n) for n in range(SERIES_DAYS - 1, -1, -1)]
    series_start = datetime.combine(days[0], datetime.min.time(), tzinfo=tz)
    hot_end = min(period.end, now)
    hot_start = hot_end - timedelta(days=hot_days)

    # Together: while SQLite runs the next query in its thread, the rows of the last one
    # become facts here.
    tickets, events, surveys, incidents = await asyncio.gather(
        queries.ticket_facts(period.start, period.end, now, scope),
        queries.period_events(period.start, period.end, scope),
        queries.surveys_sent(period.start, period.end, scope),
        # The hot spots' window too: a hot spot is linked to the incident that covers it.
        queries.incident_facts(min(period.start, hot_start), period.end, scope),
    )
    # The period's own tickets are in hand already; only the days before it (the 14-day
    # chart, the 30-day hot-spot window) are read again.
    places = [
        PlaceTicket(t.number, t.kind, t.category, t.estate, t.building, t.area, t.created_at)
        for t in tickets
        if period.contains(t.created_at)
    ]
    window_start = min(series_start, hot_start)
    if window_start < period.start:
        places += await queries.place_tickets(window_start, period.start, scope)
    trend = surveys
    if series_start < period.start:
        trend = await queries.surveys_sent(series_start, period.end, scope)
    facts = PeriodFacts(period, now, tickets, events, surveys)
    # The arithmetic runs in a worker thread: a month of tickets takes a noticeable moment,
    # and the bot keeps answering owners meanwhile.
    report = await asyncio.to_thread(
        _compute, facts, scope, places, trend, days, tz, hot_end, hot_days, hot_minimum, started
    )
    spots_covered = tuple(
        spot_incident(spot, incidents, hot_start, hot_end, _area_building(settings))
        for spot in report.hot_spots
    )
    in_period = [i for i in incidents if active_in(i, period.start, period.end)]
    report = replace(
        report,
        incidents=in_period,
        incident_summary=summarize(in_period),
        hot_incidents=spots_covered,
    )
    log.info("report %s (%d tickets) in %.3f s", period.label, len(tickets), report.seconds)
    return report


def _compute(
    facts: PeriodFacts,
    scope: Scope,
    places: list[PlaceTicket],
    trend: list[SurveyFact],
    days: list[date],
    tz: tzinfo,
    hot_end: datetime,
    hot_days: int,
    hot_minimum: int,
    started: float,
) -> Report:
    """The statistics of gathered facts (pure, so it can run off the event loop)."""
    period = facts.period
    return Report(
        period=period,
        now=facts.now,
        scope=scope,
        overall=summary(facts),
        breakdowns={name: breakdown(facts, key) for name, key in DIMENSIONS.items()},
        staff=appraisal(facts),
        hot_spots=hot_spots(places, hot_end, hot_days, hot_minimum),
        hot_days=hot_days,
        hot_minimum=hot_minimum,
        series_days=days,
        opened_by_day=daily_opened(places, days, tz),
        satisfaction_by_day=daily_satisfaction(trend, days, tz),
        heat=heat_map(facts.tickets, period),
        seconds=time.perf_counter() - started,
    )


def _area_building(settings: Settings) -> Callable[[str], str | None]:
    """The building a common area belongs to (None: estate-wide, or unknown)."""

    def building(area: str) -> str | None:
        found = settings.area(area)
        return found[1].building if found else None

    return building
