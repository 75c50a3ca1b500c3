"""Known incidents in SQLite: declared, updated and closed by compare-and-set, with their
linked tickets, subscribers and the once-only key of every message told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.incidents import Incident
from bot.core.models import Outgoing, TicketEvent
from bot.store import incident_sql as q
from bot.store.sqlite.db import SqliteBase, dt, ts
from bot.store.sqlite.events import add_event
from bot.store.sqlite.outbox import enqueue_in


class SqliteIncidents(SqliteBase):
    """IncidentStore over SQLite."""

    async def declare_incident(
        self, incident: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> Incident:
        """Store a new open incident with its messages; it comes back with id and version 1."""
        async with self._tx() as db:
            row = await (await db.execute(q.DECLARE, q.declare_params(incident, ts))).fetchone()
            assert row is not None
            for message in messages:
                await enqueue_in(db, message, now)
            stored = await (await db.execute(q.GET, (row[0],))).fetchone()
        assert stored is not None
        return q.incident_of(stored, dt)

    async def get_incident(self, incident_id: int) -> Incident | None:
        """An incident by id, or None."""
        row = await self._fetchone(q.GET, (incident_id,))
        return q.incident_of(row, dt) if row else None

    async def open_incidents(self, estate: str | None = None) -> list[Incident]:
        """Open incidents (of one estate, or all), oldest first."""
        if estate is None:
            rows = await self._fetchall(q.OPEN_ALL)
        else:
            rows = await self._fetchall(q.OPEN_OF_ESTATE, (estate,))
        return [q.incident_of(r, dt) for r in rows]

    async def update_incident(
        self, before: Incident, after: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> bool:
        """Compare-and-set on the version of an open incident, with its messages."""
        async with self._tx() as db:
            cursor = await db.execute(q.UPDATE, q.update_params(before, after, ts))
            if cursor.rowcount != 1:
                return False
            for message in messages:
                await enqueue_in(db, message, now)
        return True

    async def close_incident(
        self, before: Incident, after: Incident, messages: Sequence[Outgoing], now: datetime
    ) -> bool:
        """Compare-and-set open → closed, with its messages."""
        async with self._tx() as db:
            cursor = await db.execute(q.CLOSE, q.close_params(before, after, ts))
            if cursor.rowcount != 1:
                return False
            for message in messages:
                await enqueue_in(db, message, now)
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
            if await (await db.execute(q.IS_OPEN, (incident_id,))).fetchone() is None:
                return False
            cursor = await db.execute(q.LINK, (ticket_id, incident_id, ts(now)))
            if cursor.rowcount != 1:
                return False
            await add_event(db, event)
            for message in messages:
                await enqueue_in(db, message, now)
        return True

    async def linked_tickets(self, incident_id: int) -> list[int]:
        """Ids of the tickets linked to an incident, in the order linked."""
        rows = await self._fetchall(q.LINKED, (incident_id,))
        return [int(r["ticket_id"]) for r in rows]

    async def ticket_incident(self, ticket_id: int) -> int | None:
        """The incident a ticket is linked to, or None."""
        row = await self._fetchone(q.TICKET_INCIDENT, (ticket_id,))
        return int(row["incident_id"]) if row else None

    async def subscribe(self, incident_id: int, person_id: int, now: datetime) -> bool:
        """Subscribe a person to an open incident; False if already or not open."""
        async with self._tx() as db:
            cursor = await db.execute(q.SUBSCRIBE, (person_id, ts(now), incident_id))
            return cursor.rowcount == 1

    async def subscribers(self, incident_id: int) -> list[int]:
        """The people subscribed to an incident, in the order they subscribed."""
        rows = await self._fetchall(q.SUBSCRIBERS, (incident_id,))
        return [int(r["person_id"]) for r in rows]

    async def notify_once(
        self, incident_id: int, kind: str, version: int, messages: Sequence[Outgoing], now: datetime
    ) -> int:
        """Queue each message unless its (incident, chat, kind, version) was queued before."""
        queued = 0
        async with self._tx() as db:
            for message in messages:
                key = (incident_id, message.chat_id, kind, version, ts(now))
                if (await db.execute(q.TOLD, key)).rowcount != 1:
                    continue
                await enqueue_in(db, message, now)
                queued += 1
        return queued

    async def rate_incident(
        self, incident_id: int, person_id: int, rating: int, now: datetime
    ) -> bool:
        """A subscriber's one rating of a closed incident."""
        async with self._tx() as db:
            params = (rating, ts(now), incident_id, person_id, incident_id)
            return (await db.execute(q.RATE, params)).rowcount == 1

    async def incident_ratings(self, incident_id: int) -> list[tuple[int, int]]:
        """(person, rating) of the subscribers who rated an incident."""
        rows = await self._fetchall(q.RATINGS, (incident_id,))
        return [(int(r["person_id"]), int(r["rating"])) for r in rows]

    async def unsettled_incidents(self) -> list[Incident]:
        """Closed incidents whose follow-up is not marked done."""
        return [q.incident_of(r, dt) for r in await self._fetchall(q.UNSETTLED)]

    async def settle_incident(self, incident_id: int) -> None:
        """Mark a closed incident's follow-up done."""
        await self._write(q.SETTLE, (incident_id,))

    async def incidents_between(self, start: datetime, end: datetime) -> list[Incident]:
        """Incidents started before ``end`` and not closed before ``start``."""
        rows = await self._fetchall(q.BETWEEN, (ts(end), ts(start)))
        return [q.incident_of(r, dt) for r in rows]
