"""Reports as Telegram messages: a supervisor's report and the owners' monthly summary."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.appraisal import StaffRow
from bot.core.summaries import Summary
from bot.reports.builder import Report
from bot.reports.incident_words import hot_mark, incident_lines
from bot.reports.words import BREAKDOWN_KEYS, Words, scope_text, summary_lines, ticket_numbers

TELEGRAM_LIMIT = 4096
MAX_GROUP_LINES = 12  # per breakdown in a Telegram message; the terminal shows all
MAX_NUMBERS = 6  # ticket numbers listed per hot spot in Telegram


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
            numbers=ticket_numbers(spot.numbers, MAX_NUMBERS) if numbers else "",
        ).rstrip()
        + hot_mark(w, report, index)
        for index, spot in enumerate(report.hot_spots)
    ]
    return [*lines, *_limited(w, spots, MAX_GROUP_LINES)]


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
    incidents = incident_lines(w, report)
    if incidents:
        lines += ["", *incidents]
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
