"""What every backend does alike, written once over the driver seam (``bot.store.seam``).

The aggregates' classes of each backend mix these in (or the store composes them directly where
nothing is left to a backend): the reads, and the writes that are one statement on both. Writes
and transactions that differ (RETURNING in a transaction, row and advisory locks) and SQL only
one dialect speaks stay in the backends' own modules. Reports and the dashboard: ``reads_web``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.core.models import OutboxItem, Person, Survey, Ticket, TicketEvent
from bot.store import sql
from bot.store.rows import event_of, outbox_item_of, survey_of, ticket_of
from bot.store.seam import Seam


class CommonUpdateLog(Seam):
    """UpdateLog, the same on every backend."""

    async def update_handled(self, update_id: int) -> bool:
        """True if this Telegram update was handled before (it is being delivered again)."""
        return await self._row(sql.UPDATE_HANDLED, (update_id,)) is not None

    async def last_handled_update(self) -> int:
        """The highest update id handled so far (0 for none)."""
        row = await self._row(sql.LAST_HANDLED_UPDATE)
        return int(row["n"]) if row and row["n"] is not None else 0

    async def mark_update_handled(self, update_id: int, now: datetime, keep: int = 10_000) -> None:
        """Remember a handled update id (only about the last ``keep`` are kept)."""
        await self._change(sql.MARK_UPDATE_HANDLED, (update_id, self._at(now)))
        if update_id % 1000 == 0:  # pruning now and then is enough
            await self._change(sql.PRUNE_HANDLED_UPDATES, (update_id - keep,))


class CommonPeople(Seam):
    """PersonStore, the same on every backend (each write is one statement)."""

    async def upsert_person(self, person: Person, now: datetime) -> Person:
        """Record a user's current Telegram profile; returns it with the chosen language."""
        at = self._at(now)
        row = await self._row(
            sql.UPSERT_PERSON,
            (
                person.telegram_id,
                person.first_name,
                person.last_name,
                person.username,
                person.language_code,
                at,
                at,
            ),
        )
        return replace(person, language=row["language"] if row else None)

    async def get_person(self, telegram_id: int) -> Person | None:
        """A stored user, or None."""
        row = await self._row(sql.GET_PERSON, (telegram_id,))
        if row is None:
            return None
        return Person(
            telegram_id=row["telegram_id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            username=row["username"],
            language_code=row["language_code"],
            language=row["language"],
            phone=row["phone"],
            phone_asked=bool(row["phone_asked"]),
        )

    async def set_language(self, telegram_id: int, language: str, now: datetime) -> None:
        """Remember the language a user chose."""
        await self._change(sql.SET_LANGUAGE, (language, self._at(now), telegram_id))

    async def set_phone(self, telegram_id: int, phone: str | None, now: datetime) -> None:
        """Keep an owner's phone (None: they chose not to give one); either way it was asked."""
        await self._change(sql.SET_PHONE, (phone, self._at(now), telegram_id))


class CommonHomes(Seam):
    """OwnerMemory's homes and units but the bulk import (a transaction of its own)."""

    async def remember_home(
        self, owner_id: int, estate: str, building: str, unit: str, now: datetime
    ) -> None:
        """Record a home an owner reported from (again: it becomes the most recent)."""
        await self._change(sql.REMEMBER_HOME, (owner_id, estate, building, unit, self._at(now)))

    async def owner_homes(self, owner_id: int, limit: int = 5) -> list[tuple[str, str, str]]:
        """An owner's homes as (estate, building, unit), most recently used first."""
        rows = await self._rows(sql.OWNER_HOMES, (owner_id, limit))
        return [(r["estate"], r["building"], r["unit"]) for r in rows]

    async def building_units(self, estate: str, building: str) -> frozenset[str]:
        """The registered units of a building (empty: the building has no register)."""
        rows = await self._rows(sql.BUILDING_UNITS, (estate, building))
        return frozenset(r["unit"] for r in rows)


class CommonConversations(Seam):
    """ConversationStore, the same on every backend (each call is one statement)."""

    async def get_conversation(self, chat_id: int) -> dict[str, Any] | None:
        """The flow state saved for a chat, or None."""
        row = await self._row(sql.GET_CONVERSATION, (chat_id,))
        return None if row is None else dict(json.loads(row["state"]))

    async def save_conversation(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Write a chat's flow state (called after every step)."""
        text = json.dumps(state, ensure_ascii=False)
        at = self._at(now)
        await self._change(
            sql.SAVE_CONVERSATION, (chat_id, user_id, state["flow"], state["token"], text, at)
        )

    async def stash_draft(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Keep a cancelled conversation's state so it can be restored (one per chat)."""
        text = json.dumps(state, ensure_ascii=False)
        await self._change(sql.STASH_DRAFT, (chat_id, user_id, text, self._at(now)))

    async def take_draft(self, chat_id: int, since: datetime) -> dict[str, Any] | None:
        """Remove a chat's stashed draft; its state if it was stashed at or after ``since``."""
        row = await self._row(sql.TAKE_DRAFT, (chat_id,))
        if row is None or self._read(row["saved_at"]) < since:
            return None
        return dict(json.loads(row["state"]))

    async def delete_conversation(self, chat_id: int, token: str | None = None) -> bool:
        """End a chat's flow (only the one with ``token``, when given); True if one ended."""
        return await self._change(sql.DELETE_CONVERSATION, (chat_id, token, token)) > 0


class CommonTickets(Seam):
    """TicketStore's reads."""

    async def resolution_count(self, ticket_id: int) -> int:
        """How many times a ticket was resolved."""
        row = await self._row(sql.RESOLUTION_COUNT, (ticket_id,))
        return int(row["n"]) if row else 0

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        """A ticket by id, or None."""
        row = await self._row(sql.TICKET_BY_ID, (ticket_id,))
        return None if row is None else ticket_of(row, self._read)

    async def get_ticket_by_number(self, number: str) -> Ticket | None:
        """A ticket by its number, or None."""
        row = await self._row(sql.TICKET_BY_NUMBER, (number,))
        return None if row is None else ticket_of(row, self._read)

    async def owner_tickets(self, owner_id: int, limit: int, offset: int = 0) -> list[Ticket]:
        """An owner's tickets, newest first."""
        rows = await self._rows(sql.OWNER_TICKETS, (owner_id, limit, offset))
        return [ticket_of(r, self._read) for r in rows]

    async def owner_tickets_since(self, owner_id: int, since: datetime) -> list[tuple[str, str]]:
        """(category, description) of an owner's tickets opened since a moment."""
        rows = await self._rows(sql.OWNER_TICKETS_SINCE, (owner_id, self._at(since)))
        return [(str(r["category"]), str(r["description"])) for r in rows]

    async def count_owner_tickets(self, owner_id: int) -> int:
        """How many tickets an owner has."""
        row = await self._row(sql.COUNT_OWNER_TICKETS, (owner_id,))
        return int(row["n"]) if row else 0

    async def ticket_events(self, ticket_id: int) -> list[TicketEvent]:
        """A ticket's timeline, oldest first."""
        rows = await self._rows(sql.TICKET_EVENTS, (ticket_id,))
        return [event_of(r, self._read) for r in rows]

    async def assigned_tickets(self, telegram_id: int, limit: int = 50) -> list[Ticket]:
        """A staff member's open tickets, the most pressing deadline first."""
        rows = await self._rows(sql.ASSIGNED_TICKETS, (telegram_id, limit))
        return [ticket_of(r, self._read) for r in rows]

    async def versions_in_progress(self) -> dict[int, int]:
        """Ticket id → version of every ticket in progress (a light read: no rows mapped)."""
        return {int(r[0]): int(r[1]) for r in await self._rows(sql.VERSIONS_IN_PROGRESS)}

    async def events_in_progress(self, first: int, last: int) -> dict[int, list[TicketEvent]]:
        """The timelines of the tickets in progress with ids first..last, by ticket id."""
        timelines: dict[int, list[TicketEvent]] = {}
        for row in await self._rows(sql.EVENTS_IN_PROGRESS, (first, last)):
            event = event_of(row, self._read)
            timelines.setdefault(event.ticket_id, []).append(event)
        return timelines

    async def tickets_in_progress(self) -> list[Ticket]:
        """Every ticket not yet resolved (new, assigned or accepted), oldest first."""
        rows = await self._rows(sql.TICKETS_IN_PROGRESS)
        return [ticket_of(r, self._read) for r in rows]

    async def open_tickets(
        self,
        departments: Collection[str] | None,
        now: datetime,
        limit: int = 50,
        estates: Collection[str] | None = None,
    ) -> list[Ticket]:
        """Unassigned or overdue open tickets in some departments and estates, oldest first."""
        only = ""
        params: list[Any] = [self._at(now), self._at(now)]
        for column, values in (("department", departments), ("estate", estates)):
            if values is not None:
                condition, more = self._among(column, sorted(values))
                only += f" AND {condition}"
                params.extend(more)
        rows = await self._rows(sql.OPEN_TICKETS.format(only=only), (*params, limit))
        return [ticket_of(r, self._read) for r in rows]


class CommonOutbox(Seam):
    """OutboxStore's reads, and the delivery mark."""

    async def due_outbox(self, now: datetime, limit: int = 200) -> list[OutboxItem]:
        """The next message of each chat, if it is due; the most important first, then oldest.

        Only a chat's next message can go (its most important, then oldest), so a burst to
        one busy chat never hides other chats' messages behind it. A message that is being
        retried keeps its place in its chat; one queued for later (``not_before``) takes its
        place only once it is due.
        """
        at = self._at(now)
        return [outbox_item_of(r) for r in await self._rows(sql.DUE_OUTBOX, (at, at, limit))]

    async def due_outbox_of_chat(self, chat_id: int, now: datetime) -> OutboxItem | None:
        """One chat's next message (as ``due_outbox`` picks it), if its next attempt is due."""
        at = self._at(now)
        row = await self._row(sql.DUE_OUTBOX_OF_CHAT, (chat_id, at))
        if row is None or row["next_attempt_at"] > at:
            return None
        return outbox_item_of(row)

    async def next_outbox_due(self) -> datetime | None:
        """When the earliest pending message is due, or None when nothing is pending."""
        row = await self._row(sql.NEXT_OUTBOX_DUE)
        return self._read(row["due"]) if row and row["due"] else None

    async def outbox_counts(self) -> dict[str, int]:
        """How many outbox messages are in each status."""
        return {r["status"]: int(r["n"]) for r in await self._rows(sql.OUTBOX_COUNTS)}

    async def outbox_sent(self, item_id: int, message_id: int | None, now: datetime) -> None:
        """Mark a message delivered."""
        await self._change(sql.OUTBOX_SENT, (self._at(now), message_id, item_id))


class CommonCards(Seam):
    """CardStore where both dialects say the same."""

    async def save_card(self, ticket_id: int, chat_id: int, message_id: int, audience: str) -> None:
        """Remember where a ticket's card is, so later changes edit it."""
        await self._change(sql.SAVE_CARD, (ticket_id, chat_id, message_id, audience))

    async def card_message(self, ticket_id: int, chat_id: int) -> int | None:
        """The message id of a ticket's card in a chat, if one was sent."""
        row = await self._row(sql.CARD_MESSAGE, (ticket_id, chat_id))
        return int(row["message_id"]) if row else None

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a bot message in a chat belongs to (a card or a ticket notification)."""
        row = await self._row(sql.TICKET_OF_MESSAGE, (chat_id, message_id, chat_id, message_id))
        return int(row["ticket_id"]) if row else None

    async def sent_card(self, chat_id: int, card: str) -> int | None:
        """Where a non-ticket card (a follow-up card) stands in a chat: its latest delivery."""
        row = await self._row(
            "SELECT message_id FROM outbox WHERE status = 'sent' AND chat_id = ?"
            f" AND message_id IS NOT NULL AND {self._json('payload', 'card')} = ?"
            " ORDER BY id DESC LIMIT 1",
            (chat_id, card),
        )
        return int(row["message_id"]) if row else None

    async def card_of_message(self, chat_id: int, message_id: int) -> str | None:
        """The card a delivered message carried (a reply to it goes where the card says)."""
        row = await self._row(
            f"SELECT {self._json('payload', 'card')} AS card FROM outbox"
            " WHERE chat_id = ? AND message_id = ? AND status = 'sent' ORDER BY id LIMIT 1",
            (chat_id, message_id),
        )
        return str(row["card"]) if row and row["card"] is not None else None


class CommonSurveys(Seam):
    """SurveyStore where both dialects say the same: a read, and compare-and-sets that are one
    statement each."""

    async def get_survey(self, survey_id: int) -> Survey | None:
        """A survey by id."""
        row = await self._row(sql.GET_SURVEY, (survey_id,))
        return None if row is None else survey_of(row, self._read)

    async def survey_rate(self, survey_id: int, rating: int, now: datetime) -> bool:
        """Record the rating; False when the survey was answered (or ended) before."""
        return await self._change(sql.SURVEY_RATE, (rating, self._at(now), survey_id)) > 0

    async def survey_details(
        self,
        survey_id: int,
        problems: Sequence[str],
        comment: str | None,
        praise: str | None,
    ) -> None:
        """The answers that follow the rating."""
        details = (json.dumps(list(problems)), comment, praise, survey_id)
        await self._change(sql.SURVEY_DETAILS, details)

    async def followup_open(self, survey_id: int, due: datetime) -> bool:
        """Open the supervisor's follow-up call; False if one was opened before."""
        return await self._change(sql.FOLLOWUP_OPEN, (self._at(due), survey_id)) > 0

    async def followup_close(self, survey_id: int, outcome: str) -> bool:
        """End an open follow-up (done / reopened); False if it was closed already."""
        return await self._change(sql.FOLLOWUP_CLOSE, (outcome, survey_id)) > 0
