"""The report commands: ``python -m bot export …`` and ``python -m bot report …``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.clock import utc_now
from bot.config.models import SUPPORTED_LANGUAGES, Settings
from bot.core.periods import PERIOD_WORDS, Period, days_period, parse_period
from bot.reports.builder import Report, build_report
from bot.reports.export import ExportResult, Format, write_export
from bot.reports.incident_words import export_rows
from bot.reports.labelled_charts import report_charts
from bot.reports.tables import terminal_text
from bot.reports.words import Words
from bot.store.errors import StorageError
from bot.store.open import open_storage
from bot.texts import default_catalog


def add_report_commands(sub: Any) -> None:
    """Add ``export`` and ``report`` to the CLI's subcommands (argparse's subparsers)."""
    export = sub.add_parser(
        "export",
        help="write tickets, events and survey answers to CSV or XLSX",
        description="Write the tickets opened between two dates (inclusive, local time), their"
        " timeline events and survey answers to CSV files or an XLSX workbook.",
    )
    export.add_argument(
        "--from",
        dest="first",
        type=date.fromisoformat,
        required=True,
        metavar="YYYY-MM-DD",
        help="first day",
    )
    export.add_argument(
        "--to",
        dest="last",
        type=date.fromisoformat,
        required=True,
        metavar="YYYY-MM-DD",
        help="last day (inclusive)",
    )
    export.add_argument(
        "--format",
        choices=("csv", "xlsx"),
        default=None,
        help="csv (three files) or xlsx (three sheets); default: from --out",
    )
    export.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the XLSX file, or the CSV name: report.csv → report-tickets.csv,"
        " report-events.csv, report-surveys.csv",
    )
    report = sub.add_parser(
        "report",
        help="print the statistics of a period (and write its charts)",
        description="Print the statistics of a period: counts, times, deadlines, satisfaction,"
        " per estate, department, category, building and staff member, hot spots.",
    )
    report.add_argument(
        "--period",
        default="month",
        help=f"{', '.join(PERIOD_WORDS)}, YYYY-MM, YYYY-MM-DD or"
        " YYYY-MM-DD..YYYY-MM-DD (default: month, this month so far)",
    )
    report.add_argument(
        "--charts",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write the charts as PNG files into DIR",
    )
    report.add_argument(
        "--lang",
        choices=SUPPORTED_LANGUAGES,
        default=None,
        help="language of the report (default: default_language)",
    )
    for cmd in (export, report):
        cmd.add_argument(
            "--config",
            type=Path,
            default=Path("config.yaml"),
            help="path to config.yaml (default: ./config.yaml)",
        )
        cmd.add_argument(
            "--flows",
            type=Path,
            default=None,
            help="folder of flow files (default: flows/ beside the config)",
        )


def _settings(args: argparse.Namespace, settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    from bot.loading import load_all

    return load_all(args.config, args.flows)[0]


def _database(settings: Settings) -> bool:
    """True if the bot's database is there (a report never creates an empty SQLite file)."""
    path = settings.storage.path
    if settings.storage.backend == "sqlite" and path != ":memory:" and not Path(path).exists():
        print(
            f"no database at {path} (storage.url or storage.path in config.yaml,"
            " or DATABASE_URL / DATABASE_PATH)",
            file=sys.stderr,
        )
        return False
    return True


def export_main(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """``export --from D --to D --format csv|xlsx --out FILE``; returns the exit code."""
    settings = _settings(args, settings)
    fmt: Format = args.format or ("xlsx" if args.out.suffix.lower() == ".xlsx" else "csv")
    try:
        period = days_period(args.first, args.last, settings.tz)
    except ValueError as exc:
        print(f"--from/--to: {exc}", file=sys.stderr)
        return 2
    if not _database(settings):
        return 2
    try:
        result = asyncio.run(_export(settings, period, args.out, fmt))
    except StorageError as exc:
        from bot.cli_db import storage_failure

        return storage_failure(exc, settings)
    shown = ", ".join(str(p) for p in result.paths)
    print(
        f"exported {result.rows['tickets']} tickets, {result.rows['events']} events,"
        f" {result.rows['surveys']} surveys, {result.rows.get('incidents', 0)} incidents"
        f" to {shown}"
    )
    return 0


async def _export(settings: Settings, period: Period, out: Path, fmt: Format) -> ExportResult:
    store = await open_storage(settings)
    try:
        chunks = store.export_chunks(period.start, period.end)
        facts = await store.incident_facts(period.start, period.end)
        incidents = export_rows(facts, settings.tz, settings.default_language)
        return await write_export(chunks, out, fmt, settings.tz, incidents=incidents)
    finally:
        await store.close()


def report_main(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """``report --period month [--charts DIR] [--lang L]``; returns the exit code."""
    settings = _settings(args, settings)
    try:
        period = parse_period(args.period, utc_now(), settings.tz)
    except ValueError as exc:
        print(f"--period: {exc}", file=sys.stderr)
        return 2
    if not _database(settings):
        return 2
    try:
        report = asyncio.run(_report(settings, period))
    except StorageError as exc:
        from bot.cli_db import storage_failure

        return storage_failure(exc, settings)
    lang = args.lang or settings.default_language
    catalog = default_catalog()
    print(terminal_text(Words(settings, catalog, lang), report))
    if args.charts is not None:
        args.charts.mkdir(parents=True, exist_ok=True)
        for chart in report_charts(settings, catalog, lang, report):
            out = args.charts / f"{period.label.replace('..', '_')}-{chart.name}.png"
            out.write_bytes(chart.png)
            print(f"wrote {out}")
    return 0


async def _report(settings: Settings, period: Period) -> Report:
    store = await open_storage(settings)
    try:
        return await build_report(store, settings, period, utc_now())
    finally:
        await store.close()
