"""Incidents in reports: per period the incidents, the reports folded into each (linked
tickets and subscriptions that filed no ticket), subscribers, time to the all-clear; and
which incident covers a hot spot. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.core.hot_spots import HotSpot
from bot.core.incidents import Incident, Place, covers


class IncidentFact(NamedTuple):
    """One incident as a report reads it, with its counts from the store."""

    id: int
    estate: str
    buildings: tuple[str, ...]
    common_areas: bool
    category: str
    subcategory: str | None
    department: str
    texts: Mapping[str, str]
    started_at: datetime
    eta: datetime | None
    closed_at: datetime | None
    linked: int  # tickets linked to it
    subscribers: int  # owners waiting for its all-clear
    unticketed: int  # subscribers who own none of its linked tickets: reports never filed

    @property
    def folded(self) -> int:
        """Reports folded into the incident: linked tickets and subscriptions without one."""
        return self.linked + self.unticketed

    @property
    def to_all_clear(self) -> timedelta | None:
        """From its start to the all-clear; None while it is open."""
        return self.closed_at - self.started_at if self.closed_at is not None else None

    def as_incident(self) -> Incident:
        """The scope part as an ``Incident``, for scope matching."""
        return Incident(
            estate=self.estate,
            buildings=self.buildings,
            common_areas=self.common_areas,
            category=self.category,
            subcategory=self.subcategory,
            department=self.department,
            texts=self.texts,
            started_at=self.started_at,
            eta=self.eta,
            declared_by=None,
            id=self.id,
            status="closed" if self.closed_at is not None else "open",
            closed_at=self.closed_at,
        )


@dataclass(frozen=True)
class IncidentSummary:
    """The period's incidents in a line: how many, reports folded, subscribers, all-clear."""

    count: int
    closed: int
    folded: int
    linked: int
    unticketed: int
    subscribers: int
    to_all_clear: timedelta | None  # the median over those closed
    longest: timedelta | None


def active_in(fact: IncidentFact, start: datetime, end: datetime) -> bool:
    """Whether an incident was going on at some moment of [start, end)."""
    return fact.started_at < end and (fact.closed_at is None or fact.closed_at >= start)


def summarize(facts: Sequence[IncidentFact]) -> IncidentSummary:
    """The period's incidents counted."""
    spans = sorted(s for f in facts if (s := f.to_all_clear) is not None)
    return IncidentSummary(
        count=len(facts),
        closed=len(spans),
        folded=sum(f.folded for f in facts),
        linked=sum(f.linked for f in facts),
        unticketed=sum(f.unticketed for f in facts),
        subscribers=sum(f.subscribers for f in facts),
        to_all_clear=_median(spans),
        longest=spans[-1] if spans else None,
    )


AreaBuilding = Callable[[str], str | None]


def spot_incident(
    spot: HotSpot,
    facts: Sequence[IncidentFact],
    start: datetime,
    end: datetime,
    area_building: AreaBuilding,
) -> int | None:
    """The incident that covers a hot spot (its place and category, going on within the hot
    spot's window [start, end)), the most reports folded first; None when none does."""
    place = Place(
        spot.estate,
        spot.building,
        spot.area,
        area_building(spot.area) if spot.area else None,
    )
    found = [
        f
        for f in facts
        if f.category == spot.category
        and active_in(f, start, end)
        and covers(f.as_incident(), place)
    ]
    if not found:
        return None
    return max(found, key=lambda f: (f.folded, -f.id)).id


def _median(spans: Sequence[timedelta]) -> timedelta | None:
    """The middle of sorted spans (between the two middle ones for an even count)."""
    if not spans:
        return None
    mid = len(spans) // 2
    return spans[mid] if len(spans) % 2 else (spans[mid - 1] + spans[mid]) / 2
