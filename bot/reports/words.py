"""A report's words in one language: names and numbers, and the lines every rendering shares.

Every text comes from the language catalogs (``report.*``) and every name from config.yaml,
so the same report reads in Simplified Chinese, Traditional Chinese or English.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.config.models import Settings
from bot.core.facts import NO_KEY
from bot.core.hot_spots import HotSpot
from bot.core.summaries import Durations, Share, Summary
from bot.reports.builder import Report
from bot.texts import Catalog

BREAKDOWN_KEYS: dict[str, str] = {
    "department": "report.by_department",
    "estate": "report.by_estate",
    "category": "report.by_category",
    "building": "report.by_building",
}


class Words:
    """Names and numbers of a report in one language."""

    def __init__(self, settings: Settings, catalog: Catalog, lang: str) -> None:
        self.settings = settings
        self.catalog = catalog
        self.lang = lang

    def t(self, key: str, **params: object) -> str:
        """A catalog text."""
        return self.catalog.text(self.lang, key, **params)

    # ----- names -----------------------------------------------------------------------------

    def estate(self, estate_id: str) -> str:
        """An estate's name."""
        estate = self.settings.estate(estate_id)
        return self.settings.text(estate.name, self.lang) if estate else estate_id

    def department(self, department_id: str) -> str:
        """A department's name."""
        dept = self.settings.department(department_id)
        return self.settings.text(dept.name, self.lang) if dept else department_id

    def category(self, category_id: str) -> str:
        """A category's name."""
        cat = self.settings.category(category_id)
        return self.settings.text(cat.name, self.lang) if cat else category_id

    def building(self, key: str) -> str:
        """An "estate/building" key as "Harbour View Garden Block 3"."""
        if key == NO_KEY:
            return self.t("report.no_building")
        estate_id, _, building_id = key.partition("/")
        estate = self.settings.estate(estate_id)
        building = estate.building(building_id) if estate else None
        name = self.settings.text(building.name, self.lang) if building else building_id
        return f"{self.estate(estate_id)} {name}"

    def place(self, spot: HotSpot) -> str:
        """Where a hot spot is: the common area's name, else the building."""
        if spot.area is not None:
            found = self.settings.area(spot.area)
            if found is not None:
                return f"{self.estate(spot.estate)} {self.settings.text(found[1].name, self.lang)}"
            return f"{self.estate(spot.estate)} {spot.area}"
        return self.building(f"{spot.estate}/{spot.building}" if spot.building else NO_KEY)

    def staff(self, telegram_id: int) -> str:
        """A staff member's name (or their id, once they left config.yaml)."""
        member = self.settings.staff_member(telegram_id)
        return member.name if member else self.t("report.unknown_staff", id=telegram_id)

    def group(self, dimension: str, key: str) -> str:
        """The name of a breakdown group."""
        if dimension == "estate":
            return self.estate(key)
        if dimension == "department":
            return self.department(key)
        if dimension == "category":
            return self.category(key)
        return self.building(key)

    # ----- numbers ---------------------------------------------------------------------------

    def duration(self, span: timedelta | None) -> str:
        """A span in the largest sensible unit: "12 min", "3.5 h", "2.1 d"."""
        if span is None:
            return self.t("report.none")
        minutes = span.total_seconds() / 60
        if minutes < 90:
            return self.t("report.minutes", n=_number(minutes, 0))
        if minutes < 48 * 60:
            return self.t("report.hours", n=_number(minutes / 60, 1))
        return self.t("report.days", n=_number(minutes / 1440, 1))

    def percent(self, rate: float | None) -> str:
        """A rate as "87%"."""
        return self.t("report.none") if rate is None else f"{round(100 * rate)}%"

    def share(self, share: Share) -> str:
        """ "87% (13/15)"."""
        if not share.total:
            return self.t("report.none")
        return self.t(
            "report.share", rate=self.percent(share.rate), met=share.met, total=share.total
        )

    def rating(self, average: float | None, answered: int) -> str:
        """ "★ 4.5 (8)"."""
        if average is None:
            return self.t("report.no_rating")
        return self.t("report.rating", average=f"{average:.1f}", answered=answered)

    def median(self, durations: Durations) -> str:
        """The median of some durations."""
        return self.duration(durations.median)


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.removesuffix(".0") if digits else text


def summary_lines(w: Words, s: Summary) -> list[str]:
    """The headline numbers of a summary."""
    lines = [
        w.t(
            "report.counts",
            opened=s.opened,
            resolved=s.resolved,
            reopened=s.reopened,
            cancelled=s.cancelled,
            escalations=s.escalations,
        ),
        w.t(
            "report.accept",
            median=w.median(s.accept),
            p90=w.duration(s.accept.p90),
            count=s.accept.count,
            share=w.share(s.accept_deadline),
        ),
        w.t(
            "report.resolve",
            median=w.median(s.resolve),
            p90=w.duration(s.resolve.p90),
            count=s.resolve.count,
            share=w.share(s.resolve_deadline),
        ),
    ]
    sat = s.satisfaction
    if not sat.sent:
        lines.append(w.t("report.no_surveys"))
    else:
        lines.append(
            w.t(
                "report.satisfaction",
                rate=w.percent(sat.satisfied_rate),
                average=f"{sat.average:.2f}" if sat.average is not None else w.t("report.none"),
                answered=sat.answered,
                sent=sat.sent,
                response=w.percent(sat.response_rate),
            )
        )
        lines.append(
            w.t(
                "report.ratings",
                distribution=" / ".join(str(n) for n in sat.distribution.values()),
                praise=s.praise,
                not_fixed=w.percent(s.not_fixed_rate),
            )
        )
    return lines


def scope_text(w: Words, report: Report) -> str:
    """Which departments and estates the report covers."""
    scope = report.scope
    if scope.everything:
        return w.t("report.everything")
    parts = [w.department(d) for d in sorted(scope.departments or ())]
    parts += [w.estate(e) for e in sorted(scope.estates or ())]
    return ", ".join(parts)


def ticket_numbers(numbers: Sequence[str], limit: int) -> str:
    """The latest ticket numbers of a hot spot, "…" first when some are left out."""
    shown = ", ".join(numbers[-limit:])
    return f"…, {shown}" if len(numbers) > limit else shown
