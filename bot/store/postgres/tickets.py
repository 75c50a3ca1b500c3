"""Tickets in PostgreSQL: creation with its number, compare-and-set transitions, and reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core.models import Outgoing, Status, Ticket, TicketDraft, TicketEvent
from bot.store import sql
from bot.store.interfaces import ConversationGone, SurveyChange
from bot.store.postgres.conversations import end_conversation_in
from bot.store.postgres.db import PgBase, pg
from bot.store.postgres.events import add_event
from bot.store.postgres.outbox import enqueue_in
from bot.store.postgres.surveys import apply_survey_change
from bot.store.reads import CommonTickets
from bot.store.rows import as_is, new_ticket_params, ticket_change_params

if TYPE_CHECKING:
    from bot.store.postgres.db import Conn


class PgTickets(PgBase, CommonTickets):
    """TicketStore over PostgreSQL (its reads: ``CommonTickets``)."""

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
        """Open a ticket from a finished conversation, in one transaction (see SQLite's
        ``create_ticket``: a double submit opens one ticket; ``effects`` runs inside)."""
        async with self._tx() as db:
            if not await end_conversation_in(db, chat_id, token):
                return None
            # The upsert holds the day's counter row until commit: parallel submits take
            # numbers one after another, and a rolled-back one gives its number back.
            n = await db.fetchval(pg(sql.NEXT_NUMBER), f"ticket:{day_key}")
            number = number_for(int(n))
            ticket_id = await db.fetchval(
                pg(sql.INSERT_TICKET), *new_ticket_params(draft, number, owner_phone, as_is)
            )
            ticket = Ticket(
                **{f: getattr(draft, f) for f in draft.__dataclass_fields__},
                id=int(ticket_id),
                number=number,
                status=Status.NEW,
                updated_at=draft.created_at,
                owner_phone=owner_phone,
            )
            await add_event(
                db,
                TicketEvent(
                    ticket.id, draft.created_at, "created", draft.owner_id,
                    {"urgency": draft.urgency},
                ),
            )  # fmt: skip
            if draft.unit and draft.building:
                # The owner's home, offered as one tap next time, kept with the ticket.
                home = (draft.owner_id, draft.estate, draft.building, draft.unit)
                await db.execute(pg(sql.REMEMBER_HOME), *home, draft.created_at)
            after, events, messages = effects(ticket)
            if after != ticket:
                await _write_ticket(db, after)
                ticket = replace(after, version=after.version + 1)
            for event in events:
                await add_event(db, event)
            await enqueue_in(
                db, [replace(m, ticket_id=ticket.id) for m in messages], draft.created_at
            )
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
        """Write a ticket's change, its timeline event, survey change and messages together;
        False (nothing written) if its version moved since ``before`` was read."""
        async with self._tx() as db:
            # The row stays locked to commit: a second transition waits here, then sees the
            # new version and loses. NO KEY UPDATE leaves foreign-key checks (events of this
            # ticket written elsewhere) unblocked.
            version = await db.fetchval(
                "SELECT version FROM tickets WHERE id = $1 FOR NO KEY UPDATE", before.id
            )
            if version is None or int(version) != before.version:
                return False
            if conversation is not None and not await end_conversation_in(db, *conversation):
                raise ConversationGone
            await _write_ticket(db, after)
            await add_event(db, event)
            if survey is not None:
                await apply_survey_change(db, before.id, survey)
            # Last: queueing may wait on other writers to the same chats (see enqueue_in).
            await enqueue_in(db, [replace(m, ticket_id=before.id) for m in messages], event.at)
        return True


async def _write_ticket(db: Conn, ticket: Ticket) -> None:
    """Write a ticket's changeable fields and bump its version (inside the caller's tx)."""
    await db.execute(pg(sql.WRITE_TICKET), *ticket_change_params(ticket, as_is))
