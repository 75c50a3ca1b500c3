"""Opening a ticket from a submitted report: limits, routing, one transaction, then its jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.abuse import ticket_refusal
from bot.core.models import Outgoing, Priority, Ticket, TicketEvent, action_ref
from bot.core.ticket_text import TicketText
from bot.core.tickets import draft_from_answers, ticket_number
from bot.desk.context import DeskServices
from bot.desk.tickets import TicketDesk

log = logging.getLogger(__name__)

# The channel's way of delivering a chat's queued answer at once (the ticket number).
ReplyNow = Callable[[int], Awaitable[None]]
# What else a new ticket sets off once it is stored and its owner has the number.
AfterFiled = Callable[[Ticket], Awaitable[object]]


class Submission:
    """Turns an owner's answers into a stored, assigned ticket with its confirmation."""

    def __init__(
        self,
        services: DeskServices,
        desk: TicketDesk,
        reply_now: ReplyNow,
        after_filed: Sequence[AfterFiled] = (),
    ) -> None:
        self.services = services
        self.desk = desk
        self.reply_now = reply_now
        self.after_filed = tuple(after_filed)
        # Owners are handled side by side: one ticket at a time reads the load and commits
        # its assignment, so a burst is spread over the people on duty, not piled on one.
        self._assigning = asyncio.Lock()

    async def submit(
        self, owner_id: int, chat_id: int, lang: str, token: str, answers: Mapping[str, Any]
    ) -> Ticket | str | None:
        """Store the ticket and its confirmation in one transaction (None if already done; a
        text key when an abuse limit refuses it)."""
        settings = self.services.settings
        now = self.services.clock()
        recent = await self.services.store.owner_tickets_since(owner_id, now - timedelta(days=1))
        refused = ticket_refusal(
            settings, recent, str(answers.get("category")), str(answers.get("description"))
        )
        if refused is not None:
            log.info("user %s: new ticket refused (%s)", owner_id, refused)
            return refused
        local_day = now.astimezone(ZoneInfo(settings.timezone)).date()
        draft = draft_from_answers(answers, settings, self.services.calendars, owner_id, lang, now)
        text = TicketText(
            settings, self.services.catalog, lang, now=now, calendars=self.services.calendars
        )

        def effects(ticket: Ticket) -> tuple[Ticket, list[TicketEvent], list[Outgoing]]:
            after, events, cards = self.desk.first_assignment(ticket, route)
            buttons = (
                (
                    (text.t("ticket.btn_view"), action_ref("ticket.view", ticket.id)),
                    (text.t("menu.my"), action_ref("menu.my")),
                ),
            )
            confirmation = Outgoing(
                chat_id, text.confirmation(after), buttons, priority=Priority.REPLY
            )
            return after, events, [confirmation, *cards]

        async with self._assigning:
            # Routing reads the load first; the assignment itself commits with the ticket.
            route = await self.desk.route(draft.department, draft.estate)
            ticket = await self.services.store.create_ticket(
                draft,
                number_for=lambda n: ticket_number(settings.ticket_prefix, local_day, n),
                chat_id=chat_id,
                token=token,
                effects=effects,
                day_key=f"{local_day:%Y%m%d}",
                owner_phone=str(answers.get("phone") or "") or None,
            )
        if ticket is not None:
            log.info(
                "ticket %s created: category=%s urgency=%s estate=%s owner=%s",
                ticket.number,
                ticket.category,
                ticket.urgency,
                ticket.estate,
                ticket.owner_id,
            )
            await self.reply_now(chat_id)  # the number, without queueing
            await self.desk.changed(ticket)
            for follow in self.after_filed:
                try:
                    await follow(ticket)
                except Exception:
                    # The ticket stands and its owner has the number; what follows (an incident
                    # proposal) is looked at again with the next report.
                    log.exception("after ticket %s was filed", ticket.number)
        return ticket
