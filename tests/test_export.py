"""Exports (CSV and XLSX) and the report commands, on the hand-built day of test_stats."""

from __future__ import annotations

import argparse
import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.cli_reports import add_report_commands, export_main, report_main
from bot.config import Settings, load_settings
from bot.core.periods import days_period
from bot.reports.charts import PNG_SIGNATURE
from bot.reports.export import COLUMNS, csv_paths, write_export
from bot.store import Store
from tests.test_stats import ROOT, TZ, fill, scenario

# Opened on 2026-11-10: T1 T2 T3 T4 T5 T7 (T6 the day before, T8 the day after, T9 on the 8th).
DAY_TICKETS = [1, 2, 3, 4, 5, 7]
# Their timelines, each with its "created" event first; and their surveys (T1 T2 T3).
DAY_EVENTS = sum(len(c.events) + 1 for c in scenario() if c.fact.id in DAY_TICKETS)
DAY_SURVEYS = 3


@pytest.fixture
async def db_path(tmp_path: Path) -> Path:
    """A database file holding the scenario."""
    path = tmp_path / "export.sqlite3"
    store = await Store.open(path)
    await fill(store, scenario())
    await store.close()
    return path


async def export(path: Path, out: Path, fmt: Any, size: int = 2) -> Any:
    """Export 2026-11-10 in chunks of ``size`` tickets (small, so chunking is exercised)."""
    day = days_period(date(2026, 11, 10), date(2026, 11, 10), TZ)
    store = await Store.open(path)
    try:
        return await write_export(store.export_chunks(day.start, day.end, size), out, fmt, TZ)
    finally:
        await store.close()


async def test_xlsx_has_three_sheets_with_the_right_rows(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "november.xlsx"
    result = await export(db_path, out, "xlsx")
    assert result.rows == {"tickets": 6, "events": DAY_EVENTS, "surveys": DAY_SURVEYS}
    book = load_workbook(out)
    assert book.sheetnames == ["tickets", "events", "surveys"]
    tickets = list(book["tickets"].iter_rows(values_only=True))
    assert tickets[0] == COLUMNS["tickets"]
    by_id = {row[0]: dict(zip(COLUMNS["tickets"], row, strict=True)) for row in tickets[1:]}
    assert sorted(by_id) == DAY_TICKETS
    assert by_id[1]["created_at"] == datetime(2026, 11, 10, 9, 0)  # local wall-clock time
    assert by_id[3]["category"] == "lift" and by_id[5]["status"] == "assigned"
    # An owner's text that looks like a formula stays text.
    cell = next(c for c in book["tickets"]["Q"] if c.row == 2)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"
    assert by_id[2]["description"] == "Ticket 2 漏水"
    events = list(book["events"].iter_rows(values_only=True))[1:]
    assert len(events) == DAY_EVENTS
    escalation = next(e for e in events if e[3] == "escalated")
    assert escalation[1] == "HV-T4" and '"stage": "accept"' in escalation[5]
    surveys = list(book["surveys"].iter_rows(values_only=True))[1:]
    assert sorted((s[1], s[7]) for s in surveys) == [("HV-T1", 4), ("HV-T2", None), ("HV-T3", 2)]


async def test_csv_writes_one_file_per_table(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "november.csv"
    result = await export(db_path, out, "csv", size=1000)
    paths = csv_paths(out)
    assert result.paths == tuple(paths.values())
    assert [p.name for p in result.paths] == [
        "november-tickets.csv",
        "november-events.csv",
        "november-surveys.csv",
    ]
    tables = {}
    for table, path in paths.items():
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for UTF-8
        with path.open(encoding="utf-8-sig", newline="") as f:
            tables[table] = list(csv.DictReader(f))
    assert [len(tables[t]) for t in ("tickets", "events", "surveys")] == [
        6,
        DAY_EVENTS,
        DAY_SURVEYS,
    ]
    first = next(r for r in tables["tickets"] if r["id"] == "1")
    assert first["created_at"] == "2026-11-10T09:00:00+08:00"
    assert first["description"] == '\'=HYPERLINK("http://x")'  # defused for spreadsheets
    assert first["assignee_id"] == "7034518826" and first["area"] == ""
    assert {r["kind"] for r in tables["events"]} >= {"created", "accepted", "escalated"}


async def test_an_empty_range_writes_headers_only(db_path: Path, tmp_path: Path) -> None:
    day = days_period(date(2026, 1, 1), date(2026, 1, 31), TZ)
    store = await Store.open(db_path)
    try:
        result = await write_export(
            store.export_chunks(day.start, day.end),
            tmp_path / "empty.xlsx",
            "xlsx",
            TZ,
        )
    finally:
        await store.close()
    assert result.rows == {"tickets": 0, "events": 0, "surveys": 0}
    assert [s.max_row for s in load_workbook(tmp_path / "empty.xlsx")] == [1, 1, 1]


# --- the commands -----------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    """The report commands' arguments, parsed as ``python -m bot`` would."""
    parser = argparse.ArgumentParser(prog="python -m bot")
    add_report_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def settings_at(path: Path) -> Settings:
    """The shipped config, pointed at a database file."""
    return load_settings(
        ROOT / "config.yaml", env={"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_PATH": str(path)}
    )


def test_export_command(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "report.xlsx"
    args = parse("export", "--from", "2026-11-10", "--to", "2026-11-10", "--out", str(out))
    assert export_main(args, settings_at(db_path)) == 0
    said = capsys.readouterr().out
    assert f"exported 6 tickets, {DAY_EVENTS} events, 3 surveys, 0 incidents to {out}" in said
    assert load_workbook(out).sheetnames == ["tickets", "events", "surveys", "incidents"]
    args = parse(
        "export",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "nov.csv"),
    )
    assert export_main(args, settings_at(db_path)) == 0
    assert (tmp_path / "nov-surveys.csv").exists()
    assert export_main(args, settings_at(tmp_path / "missing.sqlite3")) == 2
    assert "no database at" in capsys.readouterr().err
    backwards = parse("export", "--from", "2026-11-30", "--to", "2026-11-01", "--out", str(out))
    assert export_main(backwards, settings_at(db_path)) == 2


def test_report_command_prints_tables_and_writes_charts(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    charts = tmp_path / "charts"
    args = parse("report", "--period", "2026-11-10", "--charts", str(charts), "--lang", "en")
    assert report_main(args, settings_at(db_path)) == 0
    out = capsys.readouterr().out
    assert "📊 Report 2026-11-10" in out
    assert "Staff appraisal:" in out and "王强 (王师傅)" in out
    assert "Water and electricity" in out  # the category table, by name
    written = sorted(charts.glob("*.png"))
    assert [p.name for p in written] == [
        "2026-11-10-deadlines.png",
        "2026-11-10-heat_map.png",
        "2026-11-10-opened_by_day.png",
        "2026-11-10-satisfaction.png",
    ]
    assert all(p.read_bytes().startswith(PNG_SIGNATURE) for p in written)
    assert report_main(parse("report", "--period", "soon"), settings_at(db_path)) == 2
