"""A report's charts with their titles, legends and names in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config.models import Settings
from bot.reports.builder import Report
from bot.reports.words import Words
from bot.texts import Catalog

if TYPE_CHECKING:
    from bot.reports.charts import Chart


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
