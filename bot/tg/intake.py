"""Running flows in a chat: start, feed inputs and button presses, save, reply, submit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Bot, Message

from bot.core.abuse import ticket_refusal
from bot.core.models import Outgoing, Priority, Ticket, TicketEvent
from bot.core.runner import Button, Event, FlowState, Press, Reply, Result, Runner
from bot.core.sources import ConfigContext
from bot.core.ticket_text import TicketText
from bot.core.tickets import draft_from_answers, ticket_number
from bot.tg import callbacks as cb
from bot.tg.render import replace_message, reply_rows, send
from bot.tg.services import Services, Visitor
from bot.tg.ticket_desk import TicketDesk

log = logging.getLogger(__name__)


# What happens when a flow other than intake is submitted: (bot, visitor, state, answers)
# → a notice for the person (None when all went well). It must end the conversation itself,
# in the same transaction as its effect (see TicketDesk.act's ``conversation``).
Finisher = Callable[[Bot, Visitor, FlowState, Mapping[str, Any]], Awaitable[str | None]]
INTAKE = "intake"


class Conversations:
    """Flows in progress, one per private chat, saved after every step."""

    def __init__(self, services: Services, desk: TicketDesk) -> None:
        self.services = services
        self.desk = desk
        # Owners are handled side by side: one ticket at a time reads the load and commits
        # its assignment, so a burst is spread over the people on duty, not piled on one.
        self._assigning = asyncio.Lock()
        self.finishers: dict[str, Finisher] = {}

    def runner(self, flow_id: str, lang: str, answers: Mapping[str, Any] | None = None) -> Runner:
        """A runner for a flow in a language; ``answers`` give its texts their {number}."""
        context = {"number": (answers or {}).get("number", "")}
        ctx = ConfigContext(self.services.settings, self.services.catalog, lang, context)
        return Runner(self.services.flows[flow_id], ctx)

    async def current(self, chat_id: int) -> FlowState | None:
        """The flow in progress in a chat, if any (and if its flow and step still exist)."""
        raw = await self.services.store.get_conversation(chat_id)
        if raw is None:
            return None
        try:
            state = FlowState.from_dict(raw)
            self.services.flows[state.flow].step(state.step)
        except KeyError:
            # The flow file changed under a conversation: start over rather than crash.
            log.warning(
                "dropping conversation in chat %s: its flow or step no longer exists", chat_id
            )
            await self.services.store.delete_conversation(chat_id)
            return None
        return state

    async def begin(
        self, bot: Bot, visitor: Visitor, flow_id: str, prefill: Mapping[str, Any] | None = None
    ) -> None:
        """Start a flow (replacing any in progress) and ask its first question."""
        runner = self.runner(flow_id, visitor.lang, prefill)
        result = runner.start(self.services.new_token(), prefill)
        assert result.state is not None
        await self._save(visitor, result.state)
        await self._send_replies(bot, visitor, result)

    async def reprompt(self, bot: Bot, visitor: Visitor, state: FlowState) -> None:
        """Ask the current question again (after a command or a language change)."""
        reply = self.runner(state.flow, visitor.lang, state.answers).prompt(state)
        await send(bot, visitor.chat_id, reply.text, reply_rows(reply, _encoder(state)))

    async def feed(self, bot: Bot, visitor: Visitor, event: Event) -> bool:
        """Give a message to the chat's flow; False when no flow is in progress."""
        state = await self.current(visitor.chat_id)
        if state is None:
            return False
        result = self.runner(state.flow, visitor.lang, state.answers).handle(state, event)
        await self._apply(bot, visitor, state, result, pressed=None)
        return True

    async def press(
        self, bot: Bot, visitor: Visitor, data: cb.FlowPress, message: Message | None
    ) -> str | None:
        """Handle a flow button; returns a short notice for the callback answer, if any."""
        state = await self.current(visitor.chat_id)
        if state is None or state.token != data.token:
            # A button of a finished or replaced conversation: drop its keyboard, say so.
            if message is not None:
                await replace_message(message, message.text or "…")
            return self.services.catalog.text(visitor.lang, "flow.stale_conversation")
        runner = self.runner(state.flow, visitor.lang, state.answers)
        if data.step != state.step:
            # A button of an earlier question: a toast, and the current question again.
            if message is not None:
                await replace_message(message, message.text or "…")
            await self.reprompt(bot, visitor, state)
            return self.services.catalog.text(visitor.lang, "flow.stale_button")
        result = runner.handle(state, Press(data.step, data.action))
        await self._apply(bot, visitor, state, result, pressed=message)
        return None

    async def cancel(self, visitor: Visitor) -> bool:
        """End the chat's flow; True if there was one."""
        return await self.services.store.delete_conversation(visitor.chat_id)

    async def _apply(
        self,
        bot: Bot,
        visitor: Visitor,
        before: FlowState,
        result: Result,
        pressed: Message | None,
    ) -> None:
        """Persist the result first, then show it."""
        t = self.services.catalog
        if result.outcome == "submitted" and before.flow == INTAKE:
            ticket = await self._submit(visitor, before, result.answers)
            if isinstance(ticket, str):
                # Over a limit: the report stays where it was, so it can be edited or cancelled.
                await send(
                    bot,
                    visitor.chat_id,
                    t.text(visitor.lang, ticket, hotline=self.services.settings.hotline),
                )
                return
            if ticket is None:
                await replace_message(pressed, t.text(visitor.lang, "flow.already_submitted"))
                return
            await replace_message(pressed, result.echo or "")
            return
        if result.outcome == "submitted":
            if result.echo is not None:
                await replace_message(pressed, result.echo)
            notice = await self.finishers[before.flow](bot, visitor, before, result.answers)
            await send(bot, visitor.chat_id, notice or t.text(visitor.lang, "flow.done"))
            return
        if result.outcome == "cancelled":
            await self.services.store.delete_conversation(visitor.chat_id, before.token)
            await replace_message(pressed, result.echo or "")
            await send(
                bot,
                visitor.chat_id,
                t.text(visitor.lang, "flow.cancelled_long"),
                [[(t.text(visitor.lang, "menu.new"), cb.encode(cb.Menu("new")))]],
            )
            return
        assert result.state is not None
        if result.changed:
            await self._save(visitor, result.state)
        if result.echo is not None:
            rows = reply_rows(Reply(result.echo, result.echo_buttons), _encoder(result.state))
            await replace_message(pressed, result.echo, rows)
        await self._send_replies(bot, visitor, result)

    async def _send_replies(self, bot: Bot, visitor: Visitor, result: Result) -> None:
        assert result.state is not None
        encode = _encoder(result.state)
        for reply in result.replies:
            await send(bot, visitor.chat_id, reply.text, reply_rows(reply, encode))

    async def _save(self, visitor: Visitor, state: FlowState) -> None:
        await self.services.store.save_conversation(
            visitor.chat_id, visitor.id, state.to_dict(), self.services.clock()
        )

    async def _submit(
        self, visitor: Visitor, state: FlowState, answers: Mapping[str, Any]
    ) -> Ticket | str | None:
        """Store the ticket and its confirmation in one transaction (None if already done; a
        text key when an abuse limit refuses it)."""
        settings = self.services.settings
        now = self.services.clock()
        recent = await self.services.store.owner_tickets_since(visitor.id, now - timedelta(days=1))
        refused = ticket_refusal(
            settings, recent, str(answers.get("category")), str(answers.get("description"))
        )
        if refused is not None:
            log.info("user %s: new ticket refused (%s)", visitor.id, refused)
            return refused
        local_day = now.astimezone(ZoneInfo(settings.timezone)).date()
        draft = draft_from_answers(
            answers, settings, self.services.calendars, visitor.id, visitor.lang, now
        )
        text = TicketText(settings, self.services.catalog, visitor.lang)

        def effects(ticket: Ticket) -> tuple[Ticket, list[TicketEvent], list[Outgoing]]:
            after, events, cards = self.desk.first_assignment(ticket, route)
            buttons = (
                (
                    (text.t("ticket.btn_view"), cb.encode(cb.TicketView(ticket.id))),
                    (text.t("menu.my"), cb.encode(cb.Menu("my"))),
                ),
            )
            confirmation = Outgoing(
                visitor.chat_id, text.confirmation(after), buttons, priority=Priority.REPLY
            )
            return after, events, [confirmation, *cards]

        async with self._assigning:
            # Routing reads the load first; the assignment itself commits with the ticket.
            route = await self.desk.route(draft.department, draft.estate)
            ticket = await self.services.store.create_ticket(
                draft,
                number_for=lambda n: ticket_number(settings.ticket_prefix, local_day, n),
                chat_id=visitor.chat_id,
                token=state.token,
                effects=effects,
                day_key=f"{local_day:%Y%m%d}",
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
            await self.services.deliver_reply(visitor.chat_id)  # the number, without queueing
            await self.desk.changed(ticket)
        return ticket


def _encoder(state: FlowState) -> Any:
    """Encode a button of the state's current step."""

    def encode(button: Button) -> str:
        return cb.encode(cb.FlowPress(state.token, state.step, button.action))

    return encode
