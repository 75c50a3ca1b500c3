"""Staff in Telegram: card buttons, reply/note/transfer/resolve, /queue, /ticket, /duty, /open."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Bot, Message, Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.core.actions import (
    Accept,
    Action,
    Actor,
    AddNote,
    ReplyToOwner,
    Resolve,
    StartWork,
    Transfer,
    actor_for,
)
from bot.core.lifecycle import Refusal
from bot.core.models import Ticket
from bot.core.runner import FlowState
from bot.core.scope import may_see, reach_of
from bot.desk.tickets import TicketDesk
from bot.store import ConversationGone
from bot.tg import callbacks as cb
from bot.tg.cards import Cards
from bot.tg.intake import Conversations, Finisher
from bot.tg.render import send
from bot.tg.services import Services, Visitor, visitor_of

log = logging.getLogger(__name__)

# Card buttons that ask the staff member to type something first: the flow, and a stand-in
# action to check beforehand that they may do it at all.
_FLOW_ACTIONS: dict[str, tuple[str, Action]] = {
    "reply": ("reply", ReplyToOwner("check")),
    "note": ("note", AddNote("check")),
    "transfer": ("transfer", Transfer("check", department="_check")),
    "resolve": ("resolve", Resolve("check")),
}


def refusal_text(services: Services, lang: str, refusal: Refusal) -> str:
    """A refusal code as a polite sentence."""
    params = dict(refusal.params)
    by = params.get("by")
    if isinstance(by, int):
        member = services.settings.staff_member(by)
        params["by"] = member.name if member else str(by)
    return services.catalog.text(lang, f"refusal.{refusal.code}", **params)


class StaffDesk:
    """Everything staff and supervisors do."""

    def __init__(
        self, services: Services, desk: TicketDesk, conversations: Conversations, cards: Cards
    ) -> None:
        self.services = services
        self.desk = desk
        self.cards = cards
        self.conversations = conversations

    def finishers(self) -> dict[str, Finisher]:
        """The staff flows' finishers, by flow id (registered by build_application)."""
        return {
            "reply": self._finish_reply,
            "note": self._finish_note,
            "transfer": self._finish_transfer,
            "resolve": self._finish_resolve,
        }

    def t(self, visitor: Visitor, key: str, **params: object) -> str:
        """A text in the visitor's language."""
        return self.services.catalog.text(visitor.lang, key, **params)

    def is_staff(self, telegram_id: int) -> bool:
        """Whether someone is in config.yaml's staff list."""
        return self.services.settings.staff_member(telegram_id) is not None

    # ----- card buttons ----------------------------------------------------------------------

    async def on_card(
        self, bot: Bot, visitor: Visitor, data: cb.CardPress, message: Message | None
    ) -> str | None:
        """A card button: accept and start act at once; the others ask for text first."""
        actor = actor_for(self.services.settings, visitor.id)
        in_group = message is not None and message.chat.id != visitor.id
        if in_group and not await self._pressed_in_its_group(data.ticket_id, message):
            # Accept from a group takes the ticket from whoever has it: only the ticket's own
            # department group counts, not any group a colleague (or a forger) presses in.
            log.info("user %s pressed ticket id %s in a foreign chat", visitor.id, data.ticket_id)
            return self.t(visitor, "staff.not_this_group")
        if data.action == "accept":
            return await self._act(
                visitor, data.ticket_id, Accept(via_group=in_group), actor, "card.accepted_toast"
            )
        if data.action == "start":
            return await self._act(
                visitor, data.ticket_id, StartWork(), actor, "card.started_toast"
            )
        if data.action in ("pause", "resume"):
            change = self.desk.pause if data.action == "pause" else self.desk.resume
            outcome = await change(data.ticket_id, actor)
            if outcome is None:
                return self.t(visitor, "ticket.not_found")
            if isinstance(outcome, Refusal):
                return refusal_text(self.services, visitor.lang, outcome)
            return self.t(visitor, f"card.{data.action}d_toast", number=outcome.number)
        if data.action not in _FLOW_ACTIONS:
            return self.t(visitor, "callback.unknown")
        ticket = await self.services.store.get_ticket(data.ticket_id)
        if ticket is None:
            return self.t(visitor, "ticket.not_found")
        flow, probe = _FLOW_ACTIONS[data.action]
        events = await self.services.store.ticket_events(ticket.id)
        refused = self.desk.check(ticket, probe, actor, events)
        if refused is not None and refused.code not in ("empty_text", "no_change", "no_target"):
            return refusal_text(self.services, visitor.lang, refused)
        # The typing happens in the private chat, also for a press on the group's card.
        private = Visitor(person=visitor.person, lang=visitor.lang, chat_id=visitor.id)
        prefill = {
            "ticket": ticket.id,
            "number": ticket.number,
            "department": ticket.department,
            "actor": visitor.id,
        }
        try:
            await self.conversations.begin(bot, private, flow, prefill)
        except Forbidden:
            return self.t(visitor, "staff.open_private_chat")
        return self.t(visitor, "staff.continue_in_private") if in_group else None

    async def _pressed_in_its_group(self, ticket_id: int, message: Message | None) -> bool:
        """Whether a press came from the department group of the ticket's department."""
        ticket = await self.services.store.get_ticket(ticket_id)
        dept = self.services.settings.department(ticket.department) if ticket else None
        return message is not None and dept is not None and dept.group_chat_id == message.chat.id

    async def _act(
        self,
        visitor: Visitor,
        ticket_id: int,
        action: Action,
        actor: Actor,
        ok_key: str,
        conversation: tuple[int, str] | None = None,
    ) -> str | None:
        result = await self.desk.act(ticket_id, action, actor, conversation)
        if result is None:
            return self.t(visitor, "ticket.not_found")
        if isinstance(result, Refusal):
            log.info(
                "user %s refused %s on ticket id %s: %s",
                visitor.id,
                type(action).__name__,
                ticket_id,
                result.code,
            )
            return refusal_text(self.services, visitor.lang, result)
        return self.t(visitor, ok_key, number=result[0].number)

    # ----- what typed flows lead to ----------------------------------------------------------

    async def _finish(
        self,
        visitor: Visitor,
        state: FlowState,
        answers: Mapping[str, Any],
        action: Action,
        ok_key: str,
    ) -> str | None:
        actor = actor_for(self.services.settings, visitor.id)
        try:
            return await self._act(
                visitor,
                int(answers["ticket"]),
                action,
                actor,
                ok_key,
                (visitor.chat_id, state.token),
            )
        except ConversationGone:
            return self.t(visitor, "flow.already_submitted")

    async def _finish_reply(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        message = answers["message"]
        action = ReplyToOwner(str(message.get("text") or ""), message.get("photo"))
        return await self._finish(visitor, state, answers, action, "staff.reply_sent")

    async def _finish_note(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        action = AddNote(str(answers["text"]))
        return await self._finish(visitor, state, answers, action, "staff.note_saved")

    async def _finish_transfer(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        kind, _, target = str(answers["target"]).partition(":")
        reason = str(answers["reason"])
        if kind == "d":
            ticket = await self.services.store.get_ticket(int(answers["ticket"]))
            estate = ticket.estate if ticket else ""
            # Straight to whoever is on duty over there; nobody → offered on their group card.
            to = (await self.desk.route(target, estate)).assignee
            action: Action = Transfer(reason, department=target, to=to)
        else:
            action = Transfer(reason, to=int(target))
        return await self._finish(visitor, state, answers, action, "staff.transferred")

    async def _finish_resolve(
        self, bot: Bot, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> str | None:
        photos = list(answers.get("photo") or [])
        action = Resolve(str(answers["note"]), photos[0] if photos else None)
        return await self._finish(visitor, state, answers, action, "staff.resolved")

    # ----- replies to a card or a relayed message --------------------------------------------

    async def relay_reply(
        self, visitor: Visitor, ticket_id: int, text: str, photo: str | None
    ) -> str | None:
        """A staff member replied to a ticket's message: it goes to the owner."""
        actor = actor_for(self.services.settings, visitor.id)
        return await self._act(
            visitor, ticket_id, ReplyToOwner(text, photo), actor, "staff.reply_sent"
        )

    # ----- commands --------------------------------------------------------------------------

    async def on_queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/queue: my open tickets, the most pressing deadline first."""
        visitor = await self._staff(update, context)
        if visitor is None:
            return
        tickets = await self.services.store.assigned_tickets(visitor.id)
        await self._list(context.bot, visitor, tickets, "staff.queue_title", "staff.queue_empty")

    async def on_open(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/open (supervisors): unassigned and overdue tickets of their departments."""
        visitor = await self._staff(update, context)
        if visitor is None:
            return
        member = self.services.settings.staff_member(visitor.id)
        assert member is not None
        if member.role == "staff":
            await send(context.bot, visitor.chat_id, self.t(visitor, "refusal.not_supervisor"))
            return
        reach = reach_of(member)
        tickets = await self.services.store.open_tickets(
            reach.departments, self.services.clock(), estates=reach.estates
        )
        await self._list(context.bot, visitor, tickets, "staff.open_title", "staff.open_empty")

    async def on_ticket(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/ticket <number>: a ticket's card and timeline, for staff who may see it."""
        visitor = await self._staff(update, context)
        if visitor is None:
            return
        number = (context.args or [""])[0].strip().upper()
        ticket = await self.services.store.get_ticket_by_number(number) if number else None
        actor = actor_for(self.services.settings, visitor.id)
        if ticket is None or not self._may_see(actor, ticket):
            await send(context.bot, visitor.chat_id, self.t(visitor, "staff.ticket_usage"))
            return
        events = await self.services.store.ticket_events(ticket.id)
        text = self.desk.text(visitor.lang)
        # The card's buttons come along, so the ticket can be worked from here too.
        rows = self.cards.buttons(ticket, events, "staff", visitor.lang)
        await send(context.bot, visitor.chat_id, text.details(ticket, events), rows)

    async def on_duty(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/duty [on|off]: say you are (un)available; without an argument, show it."""
        visitor = await self._staff(update, context)
        if visitor is None:
            return
        arg = (context.args or [""])[0].lower()
        store = self.services.store
        if arg in ("on", "off"):
            await store.set_available(visitor.id, arg == "on", self.services.clock())
            log.info("staff %s set duty %s", visitor.id, arg)
        available = visitor.id not in await store.unavailable_staff()
        key = "staff.duty_on" if available else "staff.duty_off"
        await send(context.bot, visitor.chat_id, self.t(visitor, key))

    async def _staff(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Visitor | None:
        """The visitor if they are staff; owners are told the command is not for them."""
        visitor = await visitor_of(update, self.services)
        if visitor is None:
            return None
        if not self.is_staff(visitor.id):
            await send(context.bot, visitor.chat_id, self.t(visitor, "refusal.not_staff"))
            return None
        return visitor

    @staticmethod
    def _may_see(actor: Actor, ticket: Ticket) -> bool:
        # The assignee sees their ticket even outside their patch: someone gave it to them.
        return ticket.assignee_id == actor.telegram_id or may_see(
            actor, ticket.department, ticket.estate
        )

    async def _list(
        self, bot: Bot, visitor: Visitor, tickets: list[Ticket], title: str, empty: str
    ) -> None:
        if not tickets:
            await send(bot, visitor.chat_id, self.t(visitor, empty))
            return
        text = self.desk.text(visitor.lang)
        lines = [self.t(visitor, title, count=len(tickets))]
        for ticket in tickets:
            due = (
                ticket.accept_due
                if ticket.assignee_id is None or ticket.status.value in ("new", "assigned")
                else ticket.resolve_due
            )
            flag = "⏰ " if ticket.overdue or due < self.services.clock() else ""
            when = text.t(
                "card.due", label=text.t("staff.due"), when=text.due(due), left=text.left(due)
            )
            lines.append(f"{flag}{text.list_line(ticket)} · {when}")
        lines.append(self.t(visitor, "staff.ticket_hint"))
        await send(bot, visitor.chat_id, "\n".join(lines))
