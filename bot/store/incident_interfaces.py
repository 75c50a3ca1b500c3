"""What the bot asks of storage for known incidents (``IncidentStore``, part of ``Storage``).

Kept beside ``bot.store.interfaces``, which re-exports it; the contract is each docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.incidents import Incident
from bot.core.models import Outgoing, TicketEvent


class IncidentStore(Protocol):
    """Known incidents, the tickets linked to them, their subscribers, and what each was told.

    Every change is a compare-and-set on ``Incident.version`` and commits with its messages.
    """

    async def declare_incident(
        self, incident: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> Incident:
        """Store a new open incident (its ``id`` and ``version`` ignored) with its messages;
        returns it with its id and version 1."""
        ...

    async def get_incident(self, incident_id: int) -> Incident | None:
        """An incident by id, or None."""
        ...

    async def open_incidents(self, estate: str | None = None) -> list[Incident]:
        """Open incidents (of one estate, or all), oldest first."""
        ...

    async def update_incident(
        self, before: Incident, after: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> bool:
        """Compare-and-set on ``before.version`` of an open incident: write ``after`` (ETA,
        note, texts) and queue ``messages``; False (nothing written) if it changed or closed.
        Bumps the stored version."""
        ...

    async def close_incident(
        self, before: Incident, after: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> bool:
        """Compare-and-set on ``before.version``: open → closed with ``after``'s closed_at and
        all-clear, messages queued; False (nothing written) if it changed or was closed."""
        ...

    async def link_ticket(
        self,
        incident_id: int,
        ticket_id: int,
        event: TicketEvent,
        messages: Sequence[Outgoing],
        now: datetime,
    ) -> bool:
        """Link a ticket to an open incident, with the event on its timeline and the messages,
        in one transaction; False (nothing written) if the incident is not open or the ticket
        is linked already (to this or another incident)."""
        ...

    async def linked_tickets(self, incident_id: int) -> list[int]:
        """Ids of the tickets linked to an incident, in the order linked."""
        ...

    async def ticket_incident(self, ticket_id: int) -> int | None:
        """The incident a ticket is linked to, or None."""
        ...

    async def subscribe(self, incident_id: int, person_id: int, now: datetime) -> bool:
        """Subscribe a person to an open incident's news; False if already subscribed or the
        incident is not open (nothing written)."""
        ...

    async def subscribers(self, incident_id: int) -> list[int]:
        """The people subscribed to an incident, in the order they subscribed."""
        ...

    async def notify_once(
        self, incident_id: int, kind: str, version: int, messages: Sequence[Outgoing], now: datetime
    ) -> int:
        """Queue each message unless one of ``kind`` at ``version`` of this incident was queued
        for its chat before (a unique key: a repeat after a crash queues nothing twice);
        one transaction; how many were queued."""
        ...

    async def rate_incident(
        self, incident_id: int, person_id: int, rating: int, now: datetime
    ) -> bool:
        """A subscriber's rating of how a closed incident was handled (the all-clear's survey,
        ``incidents.surveys: per_subscriber``); False (nothing written) if they are no
        subscriber, rated already, or the incident is still open."""
        ...

    async def incident_ratings(self, incident_id: int) -> list[tuple[int, int]]:
        """(person, rating) of the subscribers who rated an incident, in the order rated."""
        ...

    async def unsettled_incidents(self) -> list[Incident]:
        """Closed incidents whose follow-up (linked tickets, all-clear) is not marked done."""
        ...

    async def settle_incident(self, incident_id: int) -> None:
        """Mark a closed incident's follow-up done (idempotent)."""
        ...

    async def incidents_between(self, start: datetime, end: datetime) -> list[Incident]:
        """Incidents started before ``end`` and not closed before ``start``, by id."""
        ...
