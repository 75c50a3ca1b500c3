"""Known incidents in PostgreSQL: declared, updated and closed by compare-and-set, with their
linked tickets, subscribers and the once-only key of every message told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.incidents import Incident
from bot.core.models import Outgoing, TicketEvent
from bot.store import incident_sql as q
from bot.store.postgres.db import PgBase, pg, rowcount
from bot.store.postgres.events import add_event
from bot.store.postgres.outbox import enqueue_in
from bot.store.rows import as_is


class PgIncidents(PgBase):
    """IncidentStore over PostgreSQL."""

    async def declare_incident(
        self, incident: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> Incident:
        """Store a new open incident with its messages; it comes back with id and version 1."""
        async with self._tx() as db:
            new_id = await db.fetchval(pg(q.DECLARE), *q.declare_params(incident, as_is))
            await enqueue_in(db, messages, now)
            stored = await db.fetchrow(pg(q.GET), new_id)
        assert stored is not None
        return q.incident_of(stored, as_is)

    async def get_incident(self, incident_id: int) -> Incident | None:
        """An incident by id, or None."""
        row = await self._fetchrow(q.GET, incident_id)
        return q.incident_of(row, as_is) if row else None

    async def open_incidents(self, estate: str | None = None) -> list[Incident]:
        """Open incidents (of one estate, or all), oldest first."""
        if estate is None:
            rows = await self._fetch(q.OPEN_ALL)
        else:
            rows = await self._fetch(q.OPEN_OF_ESTATE, estate)
        return [q.incident_of(r, as_is) for r in rows]

    async def update_incident(
        self, before: Incident, after: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> bool:
        """Compare-and-set on the version of an open incident, with its messages."""
        async with self._tx() as db:
            status = await db.execute(pg(q.UPDATE), *q.update_params(before, after, as_is))
            if rowcount(status) != 1:
                return False
            await enqueue_in(db, messages, now)
        return True

    async def close_incident(
        self, before: Incident, after: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> bool:
        """Compare-and-set open → closed, with its messages."""
        async with self._tx() as db:
            status = await db.execute(pg(q.CLOSE), *q.close_params(before, after, as_is))
            if rowcount(status) != 1:
                return False
            await enqueue_in(db, messages, now)
        return True

    async def link_ticket(
        self,
        incident_id: int,
        ticket_id: int,
        event: TicketEvent,
        messages: Sequence[Outgoing],
        now: datetime,
    ) -> bool:
        """Link a ticket once to an open incident, with its event and messages."""
        async with self._tx() as db:
            # FOR SHARE: a close waits for this link to commit (and then sees the ticket).
            if await db.fetchrow(pg(q.IS_OPEN) + " FOR SHARE", incident_id) is None:
                return False
            if rowcount(await db.execute(pg(q.LINK), ticket_id, incident_id, now)) != 1:
                return False
            await add_event(db, event)
            await enqueue_in(db, messages, now)
        return True

    async def linked_tickets(self, incident_id: int) -> list[int]:
        """Ids of the tickets linked to an incident, in the order linked."""
        return [int(r["ticket_id"]) for r in await self._fetch(q.LINKED, incident_id)]

    async def ticket_incident(self, ticket_id: int) -> int | None:
        """The incident a ticket is linked to, or None."""
        row = await self._fetchrow(q.TICKET_INCIDENT, ticket_id)
        return int(row["incident_id"]) if row else None

    async def subscribe(self, incident_id: int, person_id: int, now: datetime) -> bool:
        """Subscribe a person to an open incident; False if already or not open."""
        return await self._execute(q.SUBSCRIBE, person_id, now, incident_id) == 1

    async def subscribers(self, incident_id: int) -> list[int]:
        """The people subscribed to an incident, in the order they subscribed."""
        return [int(r["person_id"]) for r in await self._fetch(q.SUBSCRIBERS, incident_id)]

    async def notify_once(
        self, incident_id: int, kind: str, version: int, messages: Sequence[Outgoing], now: datetime
    ) -> int:
        """Queue each message unless its (incident, chat, kind, version) was queued before."""
        async with self._tx() as db:
            fresh = [
                m
                for m in messages
                if rowcount(
                    await db.execute(pg(q.TOLD), incident_id, m.chat_id, kind, version, now)
                )
                == 1
            ]
            await enqueue_in(db, fresh, now)
        return len(fresh)

    async def rate_incident(
        self, incident_id: int, person_id: int, rating: int, now: datetime
    ) -> bool:
        """A subscriber's one rating of a closed incident."""
        written = await self._execute(q.RATE, rating, now, incident_id, person_id, incident_id)
        return written == 1

    async def incident_ratings(self, incident_id: int) -> list[tuple[int, int]]:
        """(person, rating) of the subscribers who rated an incident."""
        rows = await self._fetch(q.RATINGS, incident_id)
        return [(int(r["person_id"]), int(r["rating"])) for r in rows]

    async def unsettled_incidents(self) -> list[Incident]:
        """Closed incidents whose follow-up is not marked done."""
        return [q.incident_of(r, as_is) for r in await self._fetch(q.UNSETTLED)]

    async def settle_incident(self, incident_id: int) -> None:
        """Mark a closed incident's follow-up done."""
        await self._execute(q.SETTLE, incident_id)

    async def incidents_between(self, start: datetime, end: datetime) -> list[Incident]:
        """Incidents started before ``end`` and not closed before ``start``."""
        return [q.incident_of(r, as_is) for r in await self._fetch(q.BETWEEN, end, start)]
