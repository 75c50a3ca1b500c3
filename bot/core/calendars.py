"""Business calendars from config.yaml: each department's windows, working days and holidays."""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Settings
from bot.core.deadlines import BusinessCalendar, region_calendar
from bot.core.holidays_cn import supported
from bot.timewindow import WEEKDAYS


class Calendars:
    """One business calendar per department, built once for the years a bot will need."""

    def __init__(self, settings: Settings, years: Iterable[int]) -> None:
        self.settings = settings
        self.years = tuple(sorted(set(years)))
        self.warnings: list[str] = []
        self._by_department: dict[str, BusinessCalendar] = {}
        hours = settings.business_hours
        workdays = frozenset(WEEKDAYS.index(d) for d in hours.weekdays)
        country = hours.holiday_country
        if country is not None and not supported(country):
            self.warnings.append(
                f"business_hours.holiday_country: python-holidays has no calendar for {country};"
                " list its holidays in business_hours.extra_holidays"
            )
            country = None
        for dept in settings.departments:
            windows = tuple((w.start, w.end) for w in (dept.business_hours or hours.windows))
            if country is not None:
                cal, warnings = region_calendar(
                    country,
                    self.years,
                    settings.tz,
                    windows,
                    hours.extra_holidays,
                    hours.extra_workdays,
                    workdays,
                )
                for warning in warnings:
                    if warning not in self.warnings:
                        self.warnings.append(warning)
            else:
                cal = BusinessCalendar(
                    settings.tz,
                    windows,
                    workdays,
                    frozenset(hours.extra_holidays),
                    frozenset(hours.extra_workdays),
                )
            self._by_department[dept.id] = cal

    def of(self, department: str) -> BusinessCalendar:
        """The calendar a department's business-clock deadlines run on."""
        return self._by_department[department]

    def any(self) -> BusinessCalendar | None:
        """Some department's calendar (they share holidays), or None without departments."""
        return next(iter(self._by_department.values()), None)
