"""Tickets in SQLite: creation with its number, compare-and-set transitions, and reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import aiosqlite

from bot.core.models import Outgoing, Status, Ticket, TicketDraft, TicketEvent
from bot.store import sql
from bot.store.interfaces import ConversationGone, SurveyChange
from bot.store.reads import CommonTickets
from bot.store.rows import new_ticket_params, ticket_change_params
from bot.store.sqlite.conversations import end_conversation_in
from bot.store.sqlite.db import SqliteBase, ts
from bot.store.sqlite.events import add_event
from bot.store.sqlite.outbox import enqueue_in
from bot.store.sqlite.surveys import apply_survey_change


class SqliteTickets(SqliteBase, CommonTickets):
    """TicketStore over SQLite (its reads: ``CommonTickets``)."""

    async def create_ticket(
        self,
        draft: TicketDraft,
        *,
        number_for: Callable[[int], str],
        chat_id: int,
        token: str,
        effects: Callable[[Ticket], tuple[Ticket, Sequence[TicketEvent], Sequence[Outgoing]]],
        day_key: str,
        owner_phone: str | None = None,
    ) -> Ticket | None:
        """Open a ticket from a finished conversation, in one transaction.

        The conversation (``chat_id``/``token``) is deleted in the same transaction, so pressing
        Submit twice, or handling the same update twice, opens one ticket: the second call finds
        no conversation and returns None. ``number_for(n)`` turns the day's n-th ticket into its
        number; ``effects`` (called inside the transaction, so it must not touch the store)
        gives the ticket after its first transition (routing), that transition's events, and
        the outbox messages the new ticket causes.
        """
        now = ts(draft.created_at)
        async with self._tx() as db:
            if not await end_conversation_in(db, chat_id, token):
                return None
            row = await (await db.execute(sql.NEXT_NUMBER, (f"ticket:{day_key}",))).fetchone()
            assert row is not None
            number = number_for(int(row["value"]))
            cursor = await db.execute(
                sql.INSERT_TICKET, new_ticket_params(draft, number, owner_phone, ts)
            )
            inserted = await cursor.fetchone()
            assert inserted is not None
            ticket_id = int(inserted["id"])
            ticket = Ticket(
                **{f: getattr(draft, f) for f in draft.__dataclass_fields__},
                id=ticket_id,
                number=number,
                status=Status.NEW,
                updated_at=draft.created_at,
                owner_phone=owner_phone,
            )
            await add_event(
                db,
                TicketEvent(
                    ticket_id,
                    draft.created_at,
                    "created",
                    draft.owner_id,
                    {"urgency": draft.urgency},
                ),
            )
            if draft.unit and draft.building:
                # The owner's home, offered as one tap next time, kept with the ticket.
                home = (draft.owner_id, draft.estate, draft.building, draft.unit, now)
                await db.execute(sql.REMEMBER_HOME, home)
            after, events, messages = effects(ticket)
            if after != ticket:
                await _write_ticket(db, after)
                ticket = replace(after, version=after.version + 1)
            for event in events:
                await add_event(db, event)
            for message in messages:
                await enqueue_in(db, replace(message, ticket_id=ticket_id), draft.created_at)
        return ticket

    async def transition(
        self,
        before: Ticket,
        after: Ticket,
        event: TicketEvent,
        messages: Sequence[Outgoing],
        conversation: tuple[int, str] | None = None,
        survey: SurveyChange | None = None,
    ) -> bool:
        """Write a ticket's change, its timeline event and the messages it causes, together.

        Refused (False, nothing written) when the ticket changed since ``before`` was read:
        of two people pressing Accept at once, exactly one wins. A ``conversation``
        (chat id, token) that led to the change ends in the same transaction; if it is
        already gone, ConversationGone is raised and nothing is written (a double submit).
        A ``survey`` change (a resolution schedules one, a reopening cancels the pending one)
        commits with it too, so every resolution gets exactly one survey.
        """
        async with self._tx() as db:
            row = await (
                await db.execute("SELECT version FROM tickets WHERE id = ?", (before.id,))
            ).fetchone()
            if row is None or int(row["version"]) != before.version:
                return False
            if conversation is not None and not await end_conversation_in(db, *conversation):
                raise ConversationGone
            await _write_ticket(db, after)
            await add_event(db, event)
            for message in messages:
                await enqueue_in(db, replace(message, ticket_id=before.id), event.at)
            if survey is not None:
                await apply_survey_change(db, before.id, survey)
        return True


async def _write_ticket(db: aiosqlite.Connection, ticket: Ticket) -> None:
    """Write a ticket's changeable fields and bump its version (inside the caller's tx)."""
    await db.execute(sql.WRITE_TICKET, ticket_change_params(ticket, ts))
