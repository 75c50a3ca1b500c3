"""Series for the report's charts: tickets opened and survey results per day, the heat map."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, tzinfo

from bot.core.facts import PlaceTicket, SurveyFact, TicketFact
from bot.core.periods import Period
from bot.core.summaries import Satisfaction


def daily_opened(
    tickets: Iterable[PlaceTicket], days: Sequence[date], tz: tzinfo
) -> dict[str, list[int]]:
    """Tickets opened per local day, per category: category → one count per day."""
    index = {day: n for n, day in enumerate(days)}
    series: dict[str, list[int]] = {}
    for t in tickets:
        n = index.get(t.created_at.astimezone(tz).date())
        if n is None:
            continue
        series.setdefault(t.category, [0] * len(days))[n] += 1
    return dict(sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0])))


def daily_satisfaction(
    surveys: Iterable[SurveyFact], days: Sequence[date], tz: tzinfo
) -> list[Satisfaction]:
    """Survey results per local day of sending."""
    index = {day: n for n, day in enumerate(days)}
    buckets: list[list[SurveyFact]] = [[] for _ in days]
    for s in surveys:
        n = index.get(s.sent_at.astimezone(tz).date())
        if n is not None:
            buckets[n].append(s)
    return [Satisfaction.of(b) for b in buckets]


def heat_map(
    tickets: Iterable[TicketFact], period: Period
) -> tuple[list[str], list[str], list[list[int]]]:
    """Tickets opened in the period by category (rows) and building (columns), busiest first."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for t in tickets:
        if period.contains(t.created_at):
            counts[(t.category, t.building_key)] += 1
    rows = _busiest(counts, 0)
    cols = _busiest(counts, 1)
    return rows, cols, [[counts.get((r, c), 0) for c in cols] for r in rows]


def _busiest(counts: Mapping[tuple[str, str], int], axis: int) -> list[str]:
    totals: dict[str, int] = defaultdict(int)
    for key, n in counts.items():
        totals[key[axis]] += n
    return [k for k, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
