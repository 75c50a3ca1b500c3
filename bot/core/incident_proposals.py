"""The bot proposing an incident: when enough reports of one subcategory come from one
building (or common area) within a window, supervisors get them side by side. Pure: what a
cluster is, when a proposal is due, and the words of the proposal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.fitting import clip
from bot.core.models import Ticket

ProposalStatus = Literal["open", "declared", "dismissed"]
FIRST_WORDS = 24  # how much of each report's description the side-by-side list shows
LISTED = 15  # reports listed on one proposal; the rest are counted


@dataclass(frozen=True)
class Cluster:
    """Reports that look like one outage: one estate, one building or area, one subject."""

    estate: str
    building: str | None
    area: str | None
    category: str
    subcategory: str | None

    @property
    def key(self) -> str:
        """The cluster's unique key (one live proposal per key)."""
        place = f"a:{self.area}" if self.area else f"b:{self.building}"
        return f"{self.estate}|{place}|{self.category}|{self.subcategory or ''}"


def cluster_of(ticket: Ticket) -> Cluster | None:
    """The cluster a report belongs to; None when it names neither building nor area."""
    if ticket.area:
        return Cluster(ticket.estate, None, ticket.area, ticket.category, ticket.subcategory)
    if ticket.building:
        return Cluster(ticket.estate, ticket.building, None, ticket.category, ticket.subcategory)
    return None


@dataclass(frozen=True)
class Proposal:
    """One proposal to supervisors: the cluster, the reports in it, and what was decided.

    A proposal is *live* (the one of its cluster) until ``expires_at``: an open one a window
    after its latest report, a dismissed one a window after it was dismissed; a declared one
    is over at once (the incident now covers its place)."""

    cluster: Cluster
    department: str
    first_at: datetime
    last_at: datetime
    expires_at: datetime
    id: int = 0
    status: ProposalStatus = "open"
    decided_at: datetime | None = None
    decided_by: int | None = None
    incident_id: int | None = None
    version: int = 1
    tickets: tuple[int, ...] = ()

    @property
    def is_open(self) -> bool:
        """True until someone declared it or said it is not related."""
        return self.status == "open"


def due(report_count: int, suggest_after: int) -> bool:
    """Whether enough reports came for a proposal."""
    return report_count >= suggest_after


def counting_since(now: datetime, window: timedelta, floor: datetime | None) -> datetime:
    """From when reports count: the window back from now, and never before the cluster's last
    decision (reports a supervisor already judged do not make a new proposal)."""
    start = now - window
    return max(start, floor) if floor is not None else start


def report_line(ticket: Ticket, tz: ZoneInfo, where: Callable[[Ticket], str]) -> str:
    """One report on the proposal: number, time, flat (``where`` names it), first words."""
    when = ticket.created_at.astimezone(tz).strftime("%H:%M")
    flat = where(ticket)
    words = clip(" ".join(ticket.description.split()), FIRST_WORDS)
    return f"{ticket.number} · {when} · {flat} · {words}"


def report_lines(
    tickets: Sequence[Ticket], tz: ZoneInfo, where: Callable[[Ticket], str]
) -> tuple[list[str], int]:
    """The listed reports (oldest first) and how many more there are."""
    ordered = sorted(tickets, key=lambda t: (t.created_at, t.id))
    shown = ordered[:LISTED]
    return [report_line(t, tz, where) for t in shown], len(ordered) - len(shown)
