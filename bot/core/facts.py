"""What the store hands to the statistics: facts of tickets, timeline events and surveys."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

NO_KEY = ""
"""The group of tickets that lack a dimension (e.g. no building: estate-wide areas)."""


class TicketFact(NamedTuple):
    """What the statistics need of one ticket (and of its timeline, condensed).

    Facts are named tuples rather than dataclasses: a month holds tens of thousands, and
    tuples are built several times faster.
    """

    id: int
    number: str
    kind: str
    category: str
    department: str
    estate: str
    building: str | None
    area: str | None
    status: str
    assignee_id: int | None
    created_at: datetime
    accept_due: datetime
    resolve_due: datetime
    accepted_at: datetime | None = None  # the first acceptance
    accepted_by: int | None = None
    resolved_at: datetime | None = None  # the last resolution
    resolved_by: int | None = None
    accept_escalated: bool = False  # an accept deadline was missed and escalated
    resolve_escalated: bool = False

    @property
    def building_key(self) -> str:
        """Estate and building ("harbour_view/3"): building ids repeat across estates."""
        return f"{self.estate}/{self.building}" if self.building else NO_KEY


class EventFact(NamedTuple):
    """A timeline event in the period: resolved, reopened, cancelled or escalated."""

    ticket_id: int
    kind: str
    at: datetime
    actor_id: int | None
    from_id: int | None = None  # who had the ticket (reopened, escalated)


class SurveyFact(NamedTuple):
    """A survey sent in the period and its answer, if any."""

    ticket_id: int
    staff_id: int | None
    sent_at: datetime
    answered: bool
    rating: int | None
    praised: bool


class PlaceTicket(NamedTuple):
    """A problem report for the hot-spot search: where, what, when, which number."""

    number: str
    kind: str
    category: str
    estate: str
    building: str | None
    area: str | None
    created_at: datetime
