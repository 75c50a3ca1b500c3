"""An owner's own tickets: the list, details and timeline, and what they can do with them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Bot, Message

from bot.core.actions import Action, Cancel, ConfirmFixed, NotFixed, OwnerMessage, actor_for
from bot.core.fitting import CAPTION_LIMIT, TEXT_LIMIT, clip
from bot.core.lifecycle import Refusal, reopen_assignee
from bot.core.models import Status, Ticket
from bot.core.runner import FlowState
from bot.desk.tickets import TicketDesk
from bot.store import ConversationGone
from bot.tg import callbacks as cb
from bot.tg.intake import Conversations, Finisher
from bot.tg.render import replace_message, send
from bot.tg.services import Services, Visitor
from bot.tg.staff import refusal_text

log = logging.getLogger(__name__)

PAGE_SIZE = 8
_TALKING = (Status.NEW, Status.ASSIGNED, Status.ACCEPTED, Status.RESOLVED)
_WITHDRAWABLE = (Status.NEW, Status.ASSIGNED, Status.ACCEPTED)


class OwnerTickets:
    """/my, ticket details, Fixed / Not fixed, add a message, withdraw."""

    def __init__(self, services: Services, desk: TicketDesk, conversations: Conversations) -> None:
        self.services = services
        self.desk = desk
        self.conversations = conversations

    def finishers(self) -> dict[str, Finisher]:
        """The owner flows' finishers, by flow id (registered by build_application)."""
        return {"not_fixed": self._finish_not_fixed, "owner_message": self._finish_message}

    def t(self, visitor: Visitor, key: str, **params: object) -> str:
        """A text in the visitor's language."""
        return self.services.catalog.text(visitor.lang, key, **params)

    async def show_list(
        self, bot: Bot, visitor: Visitor, offset: int, message: Message | None
    ) -> None:
        """A page of the owner's tickets, newest first, each a button to its details."""
        store = self.services.store
        total = await store.count_owner_tickets(visitor.id)
        offset = max(0, min(offset, max(total - 1, 0)))
        tickets = await store.owner_tickets(visitor.id, PAGE_SIZE, offset)
        text = self.desk.text(visitor.lang)
        if not tickets:
            body = self.t(visitor, "my.empty")
            rows = [[(self.t(visitor, "menu.new"), cb.encode(cb.Menu("new")))]]
        else:
            lines = [
                self.t(
                    visitor, "my.title", first=offset + 1, last=offset + len(tickets), total=total
                )
            ]
            for tk in tickets:
                due = text.next_deadline(tk)
                lines.append(f"• {text.list_line(tk)}" + (f"\n   {due}" if due else ""))
            body = "\n".join(lines)
            rows = [[(text.list_line(tk), cb.encode(cb.TicketView(tk.id)))] for tk in tickets]
            pager = []
            if offset > 0:
                pager.append(
                    (
                        self.t(visitor, "my.newer"),
                        cb.encode(cb.TicketPage(max(0, offset - PAGE_SIZE))),
                    )
                )
            if offset + PAGE_SIZE < total:
                pager.append(
                    (self.t(visitor, "my.older"), cb.encode(cb.TicketPage(offset + PAGE_SIZE)))
                )
            if pager:
                rows.append(pager)
        if message is not None:
            await replace_message(message, body, rows)
        else:
            await send(bot, visitor.chat_id, body, rows)

    async def own_ticket(self, visitor: Visitor, ticket_id: int) -> Ticket | None:
        """The ticket if it is this owner's; None for missing and for others' alike."""
        ticket = await self.services.store.get_ticket(ticket_id)
        if ticket is None or ticket.owner_id != visitor.id:
            log.info("user %s asked for ticket id %s they do not own", visitor.id, ticket_id)
            return None
        return ticket

    async def show_details(self, bot: Bot, visitor: Visitor, ticket_id: int) -> str | None:
        """The ticket with its timeline and the owner's buttons."""
        ticket = await self.own_ticket(visitor, ticket_id)
        if ticket is None:
            return self.t(visitor, "ticket.not_found")
        events = await self.services.store.ticket_events(ticket.id)
        text = self.desk.text(visitor.lang)
        rows: list[list[tuple[str, str]]] = []
        actions = []
        if ticket.status in _TALKING:
            actions.append(
                (self.t(visitor, "owner.btn_message"), cb.encode(cb.OwnerPress(ticket.id, "msg")))
            )
        if ticket.status in _WITHDRAWABLE:
            actions.append(
                (
                    self.t(visitor, "owner.btn_withdraw"),
                    cb.encode(cb.OwnerPress(ticket.id, "cancel")),
                )
            )
        if actions:
            rows.append(actions)
        rows.append([(self.t(visitor, "my.back"), cb.encode(cb.TicketPage(0)))])
        await send(bot, visitor.chat_id, text.details(ticket, events, owner_view=True), rows)
        return None

    async def on_press(
        self, bot: Bot, visitor: Visitor, data: cb.OwnerPress, message: Message | None
    ) -> str | None:
        """Fixed / Not fixed / add a message / withdraw (asks first) / withdraw confirmed."""
        ticket = await self.own_ticket(visitor, data.ticket_id)
        if ticket is None:
            return self.t(visitor, "ticket.not_found")
        prefill = {"ticket": ticket.id, "number": ticket.number}
        if data.action == "fixed":
            return await self._act(visitor, ticket, ConfirmFixed(), "owner.thanks", message)
        if data.action == "notfixed":
            if ticket.status is not Status.RESOLVED:
                return self.t(visitor, "refusal.wrong_state")
            await self.conversations.begin(bot, visitor, "not_fixed", prefill)
            return None
        if data.action == "msg":
            if ticket.status not in _TALKING:
                return self.t(visitor, "refusal.wrong_state")
            await self.conversations.begin(bot, visitor, "owner_message", prefill)
            return None
        if data.action == "cancel":
            await send(
                bot,
                visitor.chat_id,
                self.t(visitor, "owner.withdraw_confirm", number=ticket.number),
                [
                    [
                        (
                            self.t(visitor, "owner.btn_withdraw_yes"),
                            cb.encode(cb.OwnerPress(ticket.id, "withdraw")),
                        ),
                        (
                            self.t(visitor, "owner.btn_withdraw_no"),
                            cb.encode(cb.TicketView(ticket.id)),
                        ),
                    ]
                ],
            )
            return None
        if data.action == "withdraw":
            return await self._act(visitor, ticket, Cancel(), "owner.withdrawn", message)
        return self.t(visitor, "callback.unknown")

    async def relay(
        self, visitor: Visitor, ticket: Ticket, text: str, photo: str | None
    ) -> str | None:
        """The owner replied to one of the ticket's messages: it reaches the staff member."""
        photos = (photo,) if photo else ()
        return await self._act(
            visitor, ticket, OwnerMessage(text, photos), "owner.message_sent", None
        )

    async def _act(
        self,
        visitor: Visitor,
        ticket: Ticket,
        action: Action,
        ok_key: str,
        message: Message | None,
        conversation: tuple[int, str] | None = None,
    ) -> str | None:
        actor = actor_for(self.services.settings, visitor.id)
        if actor.role != "owner":
            # Staff filing their own reports act on them as owners.
            actor = type(actor)(telegram_id=visitor.id, role="owner")
        result = await self.desk.act(ticket.id, action, actor, conversation)
        if result is None:
            return self.t(visitor, "ticket.not_found")
        if isinstance(result, Refusal):
            return refusal_text(self.services, visitor.lang, result)
        notice = self.t(visitor, ok_key, number=ticket.number)
        if message is not None:
            # The notice goes under the message (its buttons go: they have done their job);
            # on a full photo caption the old words give way, not the news.
            limit = TEXT_LIMIT if message.text is not None else CAPTION_LIMIT
            shown = clip(message.text or message.caption or "", limit - len(notice) - 2)
            await replace_message(message, shown + "\n\n" + notice)
        return notice

    async def _finish_not_fixed(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        ticket = await self.own_ticket(visitor, int(answers["ticket"]))
        if ticket is None:
            return self.t(visitor, "ticket.not_found")
        action = NotFixed(str(answers["what"]), to=reopen_assignee(self.services.settings, ticket))
        try:
            return await self._act(
                visitor, ticket, action, "owner.reopened", None, (visitor.chat_id, state.token)
            )
        except ConversationGone:
            return self.t(visitor, "flow.already_submitted")

    async def _finish_message(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        ticket = await self.own_ticket(visitor, int(answers["ticket"]))
        if ticket is None:
            return self.t(visitor, "ticket.not_found")
        message = answers["message"]
        photo = message.get("photo")
        action = OwnerMessage(str(message.get("text") or ""), (photo,) if photo else ())
        try:
            return await self._act(
                visitor, ticket, action, "owner.message_sent", None, (visitor.chat_id, state.token)
            )
        except ConversationGone:
            return self.t(visitor, "flow.already_submitted")
