"""Exports of tickets, their timeline events and survey answers: CSV files or one XLSX workbook.

Rows stream in chunks from the store to the files, so a year's export needs little memory.
Times are written in the company's timezone. Text that a spreadsheet would run as a formula
(an owner's description starting with "=") is kept as text: in XLSX the cell is typed as a
string, in CSV it gets a leading apostrophe, as OWASP advises for CSV injection.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.reports.incident_words import INCIDENT_EXPORT_COLUMNS
from bot.store.reports import (
    EVENT_EXPORT_COLUMNS,
    SURVEY_EXPORT_COLUMNS,
    TICKET_EXPORT_COLUMNS,
    ExportChunk,
)

Format = Literal["csv", "xlsx"]
TABLES: tuple[str, ...] = ("tickets", "events", "surveys")
INCIDENTS = "incidents"  # a fourth table when the caller gives the period's incidents
COLUMNS: dict[str, tuple[str, ...]] = {
    "tickets": TICKET_EXPORT_COLUMNS,
    "events": EVENT_EXPORT_COLUMNS,
    "surveys": SURVEY_EXPORT_COLUMNS,
    INCIDENTS: INCIDENT_EXPORT_COLUMNS,
}
_TIME_COLUMNS = frozenset(
    {"created_at", "updated_at", "accept_due", "resolve_due", "at", "sent_at", "answered_at"}
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold; openpyxl refuses them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class ExportResult:
    """What was written: files and the number of rows per table."""

    paths: tuple[Path, ...]
    rows: dict[str, int]


def csv_paths(out: Path, tables: Sequence[str] = TABLES) -> dict[str, Path]:
    """One CSV file per table, named from ``out``: report.csv → report-tickets.csv, …"""
    stem = out.name.removesuffix(".csv")
    return {table: out.with_name(f"{stem}-{table}.csv") for table in tables}


def _local(value: str | None, tz: tzinfo) -> datetime | None:
    return None if not value else datetime.fromisoformat(value).astimezone(tz)


def _plain(table: str, row: dict[str, Any], tz: tzinfo) -> list[Any]:
    """A row's values in column order: times local, JSON compact, the rest as stored."""
    values: list[Any] = []
    for column in COLUMNS[table]:
        value = row.get(column)
        if column in _TIME_COLUMNS:
            value = _local(value, tz)
        elif column == "data" and isinstance(value, str):
            # Keep Chinese readable in the file rather than \u escapes.
            value = json.dumps(json.loads(value), ensure_ascii=False, sort_keys=True)
        values.append(value)
    return values


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


class _CsvSink:
    def __init__(self, out: Path, tables: Sequence[str]) -> None:
        self.paths = csv_paths(out, tables)
        # utf-8-sig: Excel opens the files with the right encoding only with a BOM.
        self.files = {
            t: p.open("w", newline="", encoding="utf-8-sig") for t, p in self.paths.items()
        }
        self.writers = {t: csv.writer(f) for t, f in self.files.items()}
        for table, writer in self.writers.items():
            writer.writerow(COLUMNS[table])

    def write(self, table: str, values: Sequence[Any]) -> None:
        self.writers[table].writerow([_csv_cell(v) for v in values])

    def close(self) -> tuple[Path, ...]:
        for f in self.files.values():
            f.close()
        return tuple(self.paths.values())


class _XlsxSink:
    def __init__(self, out: Path, tables: Sequence[str]) -> None:
        self.out = out
        self.book = Workbook(write_only=True)
        self.sheets: dict[str, WriteOnlyWorksheet] = {}
        for table in tables:
            sheet = self.book.create_sheet(table)
            sheet.append(list(COLUMNS[table]))
            self.sheets[table] = sheet

    def write(self, table: str, values: Sequence[Any]) -> None:
        sheet = self.sheets[table]
        row: list[Any] = []
        for value in values:
            if isinstance(value, datetime):
                # Excel has no time zones: local wall-clock time is what people expect.
                row.append(value.replace(tzinfo=None))
            elif isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", value))
                cell.data_type = "s"  # never a formula, whatever the text starts with
                row.append(cell)
            else:
                row.append(value)
        sheet.append(row)

    def close(self) -> tuple[Path, ...]:
        self.book.save(self.out)
        return (self.out,)


async def write_export(
    chunks: AsyncIterator[ExportChunk],
    out: Path,
    fmt: Format,
    tz: tzinfo,
    progress: Callable[[dict[str, int]], None] | None = None,
    incidents: Sequence[Sequence[Any]] | None = None,
) -> ExportResult:
    """Write every chunk's tickets, events and surveys to ``out`` (CSV: three files), and the
    ``incidents`` rows (``incident_words.export_rows``) as a fourth table when given."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tables = TABLES if incidents is None else (*TABLES, INCIDENTS)
    sink: _CsvSink | _XlsxSink = _CsvSink(out, tables) if fmt == "csv" else _XlsxSink(out, tables)
    counts = dict.fromkeys(tables, 0)
    try:
        async for chunk in chunks:
            for table, rows in (
                ("tickets", chunk.tickets),
                ("events", chunk.events),
                ("surveys", chunk.surveys),
            ):
                for row in rows:
                    sink.write(table, _plain(table, row, tz))
                counts[table] += len(rows)
            if progress is not None:
                progress(dict(counts))
        for values in incidents or ():
            sink.write(INCIDENTS, values)
            counts[INCIDENTS] += 1
    finally:
        paths = sink.close()
    return ExportResult(paths, counts)
