"""Incidents in a report's words: the period's summary line, a line per incident, the hot
spot's incident mark, and the rows of the export's incidents sheet."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from bot.core.incident_stats import IncidentFact
from bot.reports.builder import Report
from bot.reports.words import Words

MAX_INCIDENT_LINES = 12  # per Telegram message; the export holds them all

INCIDENT_EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "estate",
    "buildings",
    "common_areas",
    "category",
    "subcategory",
    "department",
    "text",
    "started_at",
    "eta",
    "closed_at",
    "minutes_to_all_clear",
    "linked_tickets",
    "subscribers",
    "subscribers_without_ticket",
    "reports_folded",
)


def scope_words(w: Words, fact: IncidentFact) -> str:
    """Harbour View Garden Block 3 (+ common areas), or the whole estate."""
    estate = w.estate(fact.estate)
    if not fact.buildings:
        return w.t("report.incident_whole", estate=estate)
    found = w.settings.estate(fact.estate)
    names = []
    for b in fact.buildings:
        building = found.building(b) if found else None
        names.append(w.settings.text(building.name, w.lang) if building else b)
    joined = w.t("list.sep").join(names)
    key = "report.incident_where_common" if fact.common_areas else "report.incident_where"
    return w.t(key, estate=estate, buildings=joined)


def what(w: Words, fact: IncidentFact) -> str:
    """The incident's own text, in the reader's language first."""
    for lang in (w.lang, w.settings.default_language):
        if (fact.texts.get(lang) or "").strip():
            return fact.texts[lang]
    return next((t for t in fact.texts.values() if t.strip()), "")


def incident_line(w: Words, fact: IncidentFact, tz: tzinfo) -> str:
    """• #3 Block 3 — no water (Water and electricity): 11-26 10:00, all-clear after 2.5 h …"""
    span = fact.to_all_clear
    state = (
        w.t("report.incident_over", span=w.duration(span))
        if span is not None
        else w.t("report.incident_open")
    )
    return w.t(
        "report.incident_line",
        id=fact.id,
        scope=scope_words(w, fact),
        what=what(w, fact),
        category=w.category(fact.category),
        start=f"{fact.started_at.astimezone(tz):%m-%d %H:%M}",
        state=state,
        folded=fact.folded,
        linked=fact.linked,
        subscribers=fact.subscribers,
    )


def incident_lines(w: Words, report: Report, limit: int | None = MAX_INCIDENT_LINES) -> list[str]:
    """The incident section: the period's summary and a line per incident; nothing at all in
    a period without incidents."""
    if not report.incidents:
        return []
    s = report.incident_summary
    lines = [
        w.t(
            "report.incidents",
            count=s.count,
            closed=s.closed,
            folded=s.folded,
            linked=s.linked,
            unticketed=s.unticketed,
            subscribers=s.subscribers,
            median=w.duration(s.to_all_clear),
            longest=w.duration(s.longest),
        )
    ]
    shown = report.incidents if limit is None else report.incidents[:limit]
    lines += [incident_line(w, f, w.settings.tz) for f in shown]
    if len(report.incidents) > len(shown):
        lines.append(w.t("report.more", count=len(report.incidents) - len(shown)))
    return lines


def hot_mark(w: Words, report: Report, index: int) -> str:
    """ " → incident #3" after a hot spot an incident covers, else nothing."""
    covered = report.hot_incidents[index] if index < len(report.hot_incidents) else None
    return "" if covered is None else " " + w.t("report.hot_incident", id=covered)


def export_rows(facts: list[IncidentFact], tz: tzinfo, default_language: str) -> list[list[Any]]:
    """The export's incidents sheet, one row per incident, in INCIDENT_EXPORT_COLUMNS order."""
    rows = []
    for f in facts:
        span = f.to_all_clear
        text = f.texts.get(default_language) or next(iter(f.texts.values()), "")
        rows.append(
            [
                f.id,
                f.estate,
                " ".join(f.buildings),
                int(f.common_areas),
                f.category,
                f.subcategory,
                f.department,
                text,
                f.started_at.astimezone(tz),
                f.eta.astimezone(tz) if f.eta else None,
                f.closed_at.astimezone(tz) if f.closed_at else None,
                round(span.total_seconds() / 60) if span is not None else None,
                f.linked,
                f.subscribers,
                f.unticketed,
                f.folded,
            ]
        )
    return rows
