"""Reports in words: Telegram messages, terminal tables and localized chart labels.

Every text comes from the language catalogs (``report.*``) and every name from config.yaml,
so the same report reads in Simplified Chinese, Traditional Chinese or English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config.models import Settings
from bot.core.stats import NO_KEY, Durations, HotSpot, Share, StaffRow, Summary
from bot.reports.builder import Report
from bot.texts import Catalog

if TYPE_CHECKING:
    from bot.reports.charts import Chart

TELEGRAM_LIMIT = 4096
MAX_GROUP_LINES = 12  # per breakdown in a Telegram message; the terminal shows all
MAX_NUMBERS = 6  # ticket numbers listed per hot spot in Telegram
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


# ----- Telegram -------------------------------------------------------------------------------


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


def _group_line(w: Words, name: str, s: Summary) -> str:
    return w.t(
        "report.group_line",
        name=name,
        opened=s.opened,
        resolved=s.resolved,
        accept=w.median(s.accept),
        resolve=w.median(s.resolve),
        share=w.share(s.deadline),
        rating=w.rating(s.satisfaction.average, s.satisfaction.rated),
    )


def _staff_line(w: Words, row: StaffRow) -> str:
    return w.t(
        "report.staff_line",
        name=w.staff(row.staff_id),
        handled=row.handled,
        accept=w.median(row.accept),
        resolve=w.median(row.resolve),
        share=w.share(row.deadline),
        rating=w.rating(row.average_rating, row.ratings),
        praise=row.praise,
        reopen=w.percent(row.reopen_rate),
    )


def _limited(w: Words, lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], w.t("report.more", count=len(lines) - limit)]


def hot_spot_lines(w: Words, report: Report, numbers: bool = True) -> list[str]:
    """The hot-spot section."""
    if not report.hot_spots:
        return [w.t("report.no_hot", minimum=report.hot_minimum, days=report.hot_days)]
    lines = [w.t("report.hot_title", minimum=report.hot_minimum, days=report.hot_days)]
    spots = [
        w.t(
            "report.hot_line",
            place=w.place(spot),
            category=w.category(spot.category),
            count=spot.count,
            numbers=_numbers(spot.numbers, MAX_NUMBERS) if numbers else "",
        ).rstrip()
        for spot in report.hot_spots
    ]
    return [*lines, *_limited(w, spots, MAX_GROUP_LINES)]


def scope_text(w: Words, report: Report) -> str:
    """Which departments and estates the report covers."""
    scope = report.scope
    if scope.everything:
        return w.t("report.everything")
    parts = [w.department(d) for d in sorted(scope.departments or ())]
    parts += [w.estate(e) for e in sorted(scope.estates or ())]
    return ", ".join(parts)


def telegram_text(w: Words, report: Report, title_key: str = "report.title") -> list[str]:
    """A supervisor's report as Telegram messages (each within the length limit)."""
    lines = [
        w.t(title_key, period=report.period.label),
        w.t("report.scope", scope=scope_text(w, report)),
        "",
    ]
    if report.empty:
        lines.append(w.t("report.empty"))
    else:
        lines += summary_lines(w, report.overall)
        for dimension, key in BREAKDOWN_KEYS.items():
            groups = report.breakdowns[dimension]
            if len(groups) < 2 and dimension != "department":
                continue  # one estate or one building only: the headline says it all
            lines += ["", w.t(key)]
            lines += _limited(
                w,
                [_group_line(w, w.group(dimension, k), s) for k, s in groups.items()],
                MAX_GROUP_LINES,
            )
        if report.staff:
            lines += ["", w.t("report.staff_title")]
            lines += _limited(w, [_staff_line(w, r) for r in report.staff], 2 * MAX_GROUP_LINES)
    lines += ["", *hot_spot_lines(w, report)]
    return split_messages(lines)


def public_text(w: Words, report: Report) -> list[str]:
    """The monthly summary for owners: numbers only — no names, no ticket numbers."""
    company = w.settings.text(w.settings.company.name, w.lang)
    lines = [w.t("report.public_title", company=company, period=report.period.label), ""]
    if report.empty:
        lines.append(w.t("report.empty"))
        return split_messages(lines)
    lines += summary_lines(w, report.overall)
    counts = [
        (w.category(k), s.opened) for k, s in report.breakdowns["category"].items() if s.opened
    ]
    if counts:
        lines += [
            "",
            w.t(
                "report.public_categories",
                categories=", ".join(f"{name} {n}" for name, n in counts),
            ),
        ]
    return split_messages(lines)


def split_messages(lines: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Lines joined into as few messages as fit Telegram's limit (split between lines)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        line = line[: limit - 1]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            messages.append(current)
            candidate = line
        current = candidate
    if current.strip():
        messages.append(current)
    return messages


# ----- terminal -------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """An aligned text table; ``align`` has "l" or "r" per column (default: the first column
    left, the numbers right)."""
    align = align or "l" + "r" * (len(header) - 1)
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(cell))
            out.append(cell + pad if align[i] == "l" else pad + cell)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _numbers(numbers: Sequence[str], limit: int) -> str:
    """The latest ticket numbers of a hot spot, "…" first when some are left out."""
    shown = ", ".join(numbers[-limit:])
    return f"…, {shown}" if len(numbers) > limit else shown


def _summary_cells(w: Words, name: str, s: Summary) -> list[str]:
    sat = s.satisfaction
    return [
        name,
        str(s.opened),
        str(s.resolved),
        str(s.reopened),
        str(s.cancelled),
        str(s.escalations),
        w.median(s.accept),
        w.duration(s.accept.p90),
        w.median(s.resolve),
        w.duration(s.resolve.p90),
        w.share(s.accept_deadline),
        w.share(s.resolve_deadline),
        w.percent(sat.satisfied_rate),
        f"{sat.average:.2f}" if sat.average is not None else w.t("report.none"),
        f"{sat.answered}/{sat.sent}",
        str(s.praise),
        w.percent(s.not_fixed_rate),
    ]


_SUMMARY_COLUMNS = (
    "name",
    "opened",
    "resolved",
    "reopened",
    "cancelled",
    "escalations",
    "accept_median",
    "accept_p90",
    "resolve_median",
    "resolve_p90",
    "accept_share",
    "resolve_share",
    "satisfied",
    "average",
    "answers",
    "praise",
    "not_fixed",
)
_STAFF_COLUMNS = (
    "staff",
    "handled",
    "accept_median",
    "resolve_median",
    "in_time",
    "average",
    "answers",
    "praise",
    "reopen_rate",
)


def terminal_text(w: Words, report: Report) -> str:
    """The whole report as plain text tables for ``python -m bot report``."""
    header = [w.t(f"report.col.{c}") for c in _SUMMARY_COLUMNS]
    parts = [
        w.t("report.title", period=report.period.label),
        w.t("report.scope", scope=scope_text(w, report)),
        "",
        *summary_lines(w, report.overall),
        "",
    ]
    for dimension, key in BREAKDOWN_KEYS.items():
        rows = [
            _summary_cells(w, w.group(dimension, k), s)
            for k, s in report.breakdowns[dimension].items()
        ]
        if rows:
            parts += [w.t(key), table(header, rows), ""]
    if report.staff:
        staff_rows = [
            [
                w.staff(r.staff_id),
                str(r.handled),
                w.median(r.accept),
                w.median(r.resolve),
                w.share(r.deadline),
                f"{r.average_rating:.2f}" if r.average_rating is not None else w.t("report.none"),
                str(r.ratings),
                str(r.praise),
                w.percent(r.reopen_rate),
            ]
            for r in report.staff
        ]
        parts += [
            w.t("report.staff_title"),
            table([w.t(f"report.col.{c}") for c in _STAFF_COLUMNS], staff_rows),
            "",
        ]
    if report.hot_spots:
        parts.append(w.t("report.hot_title", minimum=report.hot_minimum, days=report.hot_days))
        parts.append(
            table(
                [w.t(f"report.col.{c}") for c in ("place", "category", "count", "numbers")],
                [
                    [w.place(s), w.category(s.category), str(s.count), _numbers(s.numbers, 8)]
                    for s in report.hot_spots
                ],
                align="llrl",
            )
        )
    else:
        parts.append(w.t("report.no_hot", minimum=report.hot_minimum, days=report.hot_days))
    parts += ["", w.t("report.computed", seconds=f"{report.seconds:.3f}")]
    return "\n".join(parts)


# ----- charts ---------------------------------------------------------------------------------


def report_charts(
    settings: Settings,
    catalog: Catalog,
    lang: str,
    report: Report,
    which: Sequence[str] = ("opened_by_day", "deadlines", "satisfaction", "heat_map"),
) -> list[Chart]:
    """The report's charts, labelled in ``lang`` (English when no Chinese font is installed)."""
    from bot.reports import charts  # matplotlib (~50 MiB) loads only once a chart is drawn

    w = Words(settings, catalog, charts.chart_language(lang))
    no_data = w.t("report.chart.no_data")
    made: list[Chart] = []
    for name in which:
        if name == "opened_by_day":
            series = {w.category(k): v for k, v in report.opened_by_day.items()}
            made.append(
                charts.opened_by_day(
                    w.t("report.chart.opened"),
                    report.series_days,
                    series,
                    w.t("report.chart.other"),
                    no_data,
                )
            )
        elif name == "deadlines":
            groups = {
                w.department(k): (s.accept_deadline, s.resolve_deadline)
                for k, s in report.breakdowns["department"].items()
            }
            made.append(
                charts.deadlines(
                    w.t("report.chart.deadlines"),
                    groups,
                    w.t("report.chart.accept"),
                    w.t("report.chart.resolve"),
                    no_data,
                )
            )
        elif name == "satisfaction":
            made.append(
                charts.satisfaction_trend(
                    w.t("report.chart.satisfaction"),
                    report.series_days,
                    report.satisfaction_by_day,
                    w.t("report.chart.satisfied"),
                    w.t("report.chart.average"),
                    no_data,
                )
            )
        elif name == "heat_map":
            rows, cols, counts = report.heat
            made.append(
                charts.heat_map(
                    w.t("report.chart.heat"),
                    [w.category(r) for r in rows],
                    [w.building(c) for c in cols],
                    counts,
                    no_data,
                )
            )
        else:
            raise ValueError(f"unknown chart {name!r}")
    return made
