"""Reports as aligned text tables for the terminal (``python -m bot report``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.core.summaries import Summary
from bot.reports.builder import Report
from bot.reports.incident_words import hot_mark, incident_lines
from bot.reports.words import BREAKDOWN_KEYS, Words, scope_text, summary_lines, ticket_numbers


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
    incidents = incident_lines(w, report, limit=None)
    if incidents:
        parts += [*incidents, ""]
    if report.hot_spots:
        parts.append(w.t("report.hot_title", minimum=report.hot_minimum, days=report.hot_days))
        parts.append(
            table(
                [w.t(f"report.col.{c}") for c in ("place", "category", "count", "numbers")],
                [
                    [
                        w.place(s),
                        w.category(s.category),
                        str(s.count),
                        ticket_numbers(s.numbers, 8) + hot_mark(w, report, i),
                    ]
                    for i, s in enumerate(report.hot_spots)
                ],
                align="llrl",
            )
        )
    else:
        parts.append(w.t("report.no_hot", minimum=report.hot_minimum, days=report.hot_days))
    parts += ["", w.t("report.computed", seconds=f"{report.seconds:.3f}")]
    return "\n".join(parts)
