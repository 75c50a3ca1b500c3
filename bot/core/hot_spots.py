"""Hot spots: places where one kind of problem keeps coming back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.facts import PlaceTicket

# Problems owners report; enquiries, suggestions and praise are not "repeated complaints".
PROBLEM_KINDS: frozenset[str] = frozenset({"repair", "complaint"})


@dataclass(frozen=True)
class HotSpot:
    """A place where one kind of problem keeps coming back."""

    estate: str
    building: str | None
    area: str | None  # the common area; None for reports from flats of the building
    category: str
    numbers: tuple[str, ...]  # oldest first

    @property
    def count(self) -> int:
        """How many reports."""
        return len(self.numbers)


def hot_spots(
    tickets: Iterable[PlaceTicket], end: datetime, days: int = 30, minimum: int = 3
) -> list[HotSpot]:
    """Places (a common area, else estate + building) with at least ``minimum`` reports of one
    category in the ``days`` before ``end``, most reports first."""
    end = end.astimezone(UTC)  # the facts' own zone: comparisons take the fast path
    start = end - timedelta(days=days)
    groups: dict[tuple[str, str | None, str | None, str], list[PlaceTicket]] = defaultdict(list)
    for t in tickets:
        if t.kind not in PROBLEM_KINDS or not start <= t.created_at < end:
            continue
        if t.area is None and t.building is None:
            continue  # "somewhere on the estate" is not a place to send someone to
        groups[(t.estate, t.building, t.area, t.category)].append(t)
    spots = [
        HotSpot(
            estate,
            building,
            area,
            category,
            tuple(t.number for t in sorted(members, key=lambda m: (m.created_at, m.number))),
        )
        for (estate, building, area, category), members in groups.items()
        if len(members) >= minimum
    ]
    return sorted(
        spots, key=lambda s: (-s.count, s.estate, s.building or "", s.area or "", s.category)
    )
