"""Running flows in a chat: start, feed inputs and button presses, save, reply, submit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from telegram import Bot, Message

from bot.core.runner import Button, Event, FlowState, Press, Reply, Result, Runner
from bot.core.sources import HOMES, ConfigContext
from bot.desk.submission import Submission
from bot.tg import callbacks as cb
from bot.tg.cardview import drop_buttons, show_card, show_contact_ask
from bot.tg.render import replace_message, reply_rows, send
from bot.tg.services import Services, Visitor

log = logging.getLogger(__name__)


# Told after each step of a report was saved and shown: (bot, visitor, before, after).
StepHook = Callable[[Bot, Visitor, FlowState, FlowState], Awaitable[None]]
# What happens when a flow other than intake is submitted: (bot, visitor, state, answers)
# → a notice for the person (None when all went well). It must end the conversation itself,
# in the same transaction as its effect (see TicketDesk.act's ``conversation``).
Finisher = Callable[[Bot, Visitor, FlowState, Mapping[str, Any]], Awaitable[str | None]]
INTAKE = "intake"
SENT = ""  # a finisher's notice meaning "I told the person myself": nothing more is sent
PHONE = "phone"  # the field (and the flow) of an owner's phone number
RESTORE_WITHIN = timedelta(minutes=30)  # a cancelled report can be restored this long


class Conversations:
    """Flows in progress, one per private chat, saved after every step."""

    def __init__(self, services: Services, submission: Submission) -> None:
        self.services = services
        self.submission = submission
        # Filled by build_application: the finisher of every flow other than intake.
        self.finishers: dict[str, Finisher] = {}
        # Filled by build_application: who looks at a report once its place is known.
        self.after_step: list[StepHook] = []

    def runner(
        self,
        flow_id: str,
        lang: str,
        answers: Mapping[str, Any] | None = None,
        units: frozenset[str] = frozenset(),
    ) -> Runner:
        """A runner for a flow in a language; ``answers`` give its texts their {number},
        ``units`` the register's flats of the building being asked about."""
        context = {"number": (answers or {}).get("number", "")}
        settings, catalog = self.services.settings, self.services.catalog
        ctx = ConfigContext(settings, catalog, lang, context, units, self.services.clock())
        return Runner(self.services.flows[flow_id], ctx)

    async def _register(self, state: FlowState) -> frozenset[str]:
        """The registered flats of the building a unit question is about (empty: none)."""
        step = self.services.flows[state.flow].step(state.step)
        estate, building = state.answers.get("estate"), state.answers.get("building")
        if step.limit != "unit" or not estate or not building:
            return frozenset()
        return await self.services.store.building_units(str(estate), str(building))

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
        if flow_id == INTAKE:
            prefill = {**await self.remembered(visitor), **(prefill or {})}
        runner = self.runner(flow_id, visitor.lang, prefill)
        result = runner.start(self.services.new_token(), prefill)
        assert result.state is not None
        await self._save(visitor, result.state)
        if runner.flow.card:
            await self._show(bot, visitor, result.state, result.replies[-1], fresh=True)
            return
        await self._send_replies(bot, visitor, result)

    async def remembered(self, visitor: Visitor) -> dict[str, Any]:
        """What a new report starts with: the owner's homes, and their phone once asked."""
        store = self.services.store
        known: dict[str, Any] = {HOMES: [list(h) for h in await store.owner_homes(visitor.id)]}
        person = await store.get_person(visitor.id)
        if person is not None and person.phone_asked:
            known[PHONE] = person.phone or ""
        return known

    async def reprompt(self, bot: Bot, visitor: Visitor, state: FlowState) -> None:
        """Ask the current question again (after a command or a language change)."""
        runner = self.runner(state.flow, visitor.lang, state.answers)
        reply = runner.prompt(state)
        if runner.flow.card or reply.contact is not None:
            await self._show(bot, visitor, state, reply, fresh=True)
            return
        await send(bot, visitor.chat_id, reply.text, reply_rows(reply, _encoder(state)))

    async def back_to(self, bot: Bot, visitor: Visitor, state: FlowState, step: str) -> None:
        """Ask a step of a submitted flow again (its finisher found the answer wanting); the
        other answers are kept, and the flow goes on from there as before."""
        again = replace(state, step=step, editing=True)
        await self._save(visitor, again)
        await self.reprompt(bot, visitor, again)

    async def restore(self, bot: Bot, visitor: Visitor, raw: Mapping[str, Any]) -> None:
        """Bring back a cancelled report where it was left."""
        state = replace(FlowState.from_dict(raw), anchor=None)
        await self._save(visitor, state)
        await self.reprompt(bot, visitor, state)

    async def _show(
        self, bot: Bot, visitor: Visitor, state: FlowState, reply: Reply, *, fresh: bool
    ) -> None:
        """Put a card flow's prompt on its card (or ask for the phone below it)."""
        if reply.contact is not None:
            await show_contact_ask(bot, visitor.chat_id, reply)
            return
        sent = await show_card(bot, visitor.chat_id, state, reply, _encoder(state), fresh=fresh)
        if sent is not None:
            await self._save(visitor, replace(state, anchor=sent))

    async def feed(
        self, bot: Bot, visitor: Visitor, event: Event, message_id: int | None = None
    ) -> bool:
        """Give a message to the chat's flow; False when no flow is in progress."""
        state = await self.current(visitor.chat_id)
        if state is None:
            return False
        if message_id is not None and message_id <= state.seen:
            # Handed over again after a crash: it already answered, so it is not an answer
            # to the question after it.
            log.info("chat %s: message %s was already taken", visitor.chat_id, message_id)
            return True
        units = await self._register(state)
        result = self.runner(state.flow, visitor.lang, state.answers, units).handle(state, event)
        if result.state is not None and result.changed and message_id is not None:
            result = replace(result, state=replace(result.state, seen=message_id))
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
            # A button of an earlier question: a toast, and the current question again (on
            # the card itself when it was the card's: a double tap costs no message).
            if runner.flow.card and message is not None and message.message_id == state.anchor:
                await self._show(bot, visitor, state, runner.prompt(state), fresh=False)
            else:
                if message is not None:
                    await replace_message(message, message.text or "…")
                await self.reprompt(bot, visitor, state)
            return self.services.catalog.text(visitor.lang, "flow.stale_button")
        result = runner.handle(state, Press(data.step, data.action))
        await self._apply(bot, visitor, state, result, pressed=message)
        return None

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
            if PHONE in result.answers and PHONE not in before.locked:
                phone = str(result.answers[PHONE]) or None
                await self.services.store.set_phone(visitor.id, phone, self.services.clock())
            ticket = await self.submission.submit(
                visitor.id, visitor.chat_id, visitor.lang, before.token, result.answers
            )
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
            if pressed is not None:
                await replace_message(pressed, result.echo or "")
            return
        if result.outcome == "submitted":
            if result.echo is not None:
                await replace_message(pressed, result.echo)
            notice = await self.finishers[before.flow](bot, visitor, before, result.answers)
            if notice != SENT:
                await send(bot, visitor.chat_id, notice or t.text(visitor.lang, "flow.done"))
            return
        if result.outcome == "cancelled":
            await self.cancelled(bot, visitor, before, pressed, result.echo or "")
            return
        assert result.state is not None
        if result.changed:
            await self._save(visitor, result.state)
        if self.services.flows[before.flow].card:
            await self._apply_card(bot, visitor, before, result, pressed)
            if before.flow == INTAKE and result.changed:
                for hook in self.after_step:
                    await hook(bot, visitor, before, result.state)
            return
        if result.echo is not None:
            rows = reply_rows(Reply(result.echo, result.echo_buttons), _encoder(result.state))
            await replace_message(pressed, result.echo, rows)
        await self._send_replies(bot, visitor, result)

    async def cancelled(
        self, bot: Bot, visitor: Visitor, state: FlowState, pressed: Message | None, echo: str
    ) -> None:
        """End a flow the person cancelled; a report with answers can be restored a while."""
        t = self.services.catalog
        store = self.services.store
        rows = [[(t.text(visitor.lang, "menu.new"), cb.encode(cb.Menu("new")))]]
        text = t.text(visitor.lang, "flow.cancelled_long")
        if state.flow == INTAKE and self.answered(state):
            now = self.services.clock()
            await store.stash_draft(visitor.chat_id, visitor.id, state.to_dict(), now)
            minutes = int(RESTORE_WITHIN.total_seconds() // 60)
            text = t.text(visitor.lang, "cancel.restorable", minutes=minutes)
            restore = (t.text(visitor.lang, "cancel.btn_restore"), cb.encode(cb.Menu("restore")))
            rows.insert(0, [restore])
        await store.delete_conversation(visitor.chat_id, state.token)
        if pressed is not None:
            await replace_message(pressed, echo)
        elif state.anchor is not None:
            await drop_buttons(bot, visitor.chat_id, state.anchor)
        await send(bot, visitor.chat_id, text, rows)

    def answered(self, state: FlowState) -> int:
        """How many answers a report holds (given or guessed; not a QR code's)."""
        runner = self.runner(state.flow, "en", state.answers)
        return sum(
            1
            for s in runner.path(state.answers)
            if s.field in state.answers and s.field not in state.locked and s.type != "summary"
        )

    async def _apply_card(
        self,
        bot: Bot,
        visitor: Visitor,
        before: FlowState,
        result: Result,
        pressed: Message | None,
    ) -> None:
        """A card flow's answer: notes below, the card edited in place (or the phone asked)."""
        assert result.state is not None
        state = result.state
        if pressed is not None and pressed.message_id != state.anchor and result.state.anchor:
            # The card pressed is the card (its id may not have been saved before a crash).
            state = replace(state, anchor=pressed.message_id)
            await self._save(visitor, state)
        if not result.replies:
            if result.echo is not None:  # another page of a list, on the same card
                rows = reply_rows(Reply(result.echo, result.echo_buttons), _encoder(state))
                await replace_message(pressed, result.echo, rows)
            return
        *notes, last = result.replies
        for note in notes:
            await send(bot, visitor.chat_id, note.text)
        if last.contact is not None and result.echo is not None and state.anchor is not None:
            # Submitted, the phone still to ask: the card keeps the answers, without buttons.
            card = Reply(result.echo)
            await show_card(bot, visitor.chat_id, state, card, _encoder(state), fresh=False)
        # The first typed answer gets a card of its own, below it; later ones edit that card.
        fresh = pressed is None and not before.history and result.changed
        await self._show(bot, visitor, state, last, fresh=fresh)

    async def _send_replies(self, bot: Bot, visitor: Visitor, result: Result) -> None:
        assert result.state is not None
        encode = _encoder(result.state)
        for reply in result.replies:
            if reply.contact is not None:
                await show_contact_ask(bot, visitor.chat_id, reply)
                continue
            await send(bot, visitor.chat_id, reply.text, reply_rows(reply, encode))

    async def _save(self, visitor: Visitor, state: FlowState) -> None:
        await self.services.store.save_conversation(
            visitor.chat_id, visitor.id, state.to_dict(), self.services.clock()
        )


def _encoder(state: FlowState) -> Any:
    """Encode a button of the state's current step."""

    def encode(button: Button) -> str:
        return cb.encode(cb.FlowPress(state.token, state.step, button.action))

    return encode
