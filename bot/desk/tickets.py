"""Carrying out lifecycle decisions: decide, write ticket, event and messages at once.

Everyone who changes a ticket (staff and owner buttons, the router, the deadline and survey
jobs, any other channel) comes through ``TicketDesk.act``, so authorization, the timeline and
notifications are the same whatever the way in. Messages are queued channel-neutral (cards by
audience, buttons as actions: ``bot.core.models.action_ref``); the channel renders them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from bot.core.actions import SYSTEM, Action, Actor, AddNote, Assign, Reassign, Resolve
from bot.core.card_audience import GROUP, LEFT
from bot.core.duetimes import restart_deadlines, resumed_due
from bot.core.language import pick_language
from bot.core.lifecycle import Decision, Notice, Refusal, apply, decide
from bot.core.models import (
    OutboxItem,
    Outgoing,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from bot.core.relays import OWNER_MESSAGE, RelayHold, relay_hold
from bot.core.roster import RouteDecision
from bot.core.routing import roster_of, route_ticket
from bot.core.scope import supervisors_of
from bot.core.staff_names import shown_name
from bot.core.surveys import survey_due
from bot.core.ticket_text import TicketText
from bot.desk.context import DeskServices
from bot.desk.notices import as_alert, card_messages, held_notice, notice_message
from bot.store.interfaces import SurveyChange

log = logging.getLogger(__name__)

# Notices that reach a person as their own message; the rest only refresh the cards.
_GROUP_ONLY = "group"
_CONFLICT_RETRIES = 3
# An owner's words passed to staff: capped per ticket (bot.core.relays).
_RELAYS = frozenset({"notify.assignee.owner_message", "notify.group.owner_message"})


class TicketChanged(Exception):
    """The ticket changed since the person acting saw it (another supervisor was quicker)."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(ticket.number)
        self.ticket = ticket


class TicketDesk:
    """The one way tickets change after they are opened."""

    def __init__(self, services: DeskServices) -> None:
        self.services = services
        self.roster = roster_of(services.settings)
        # Told after every change, so the schedulers can set the ticket's jobs anew.
        self.on_change: list[Callable[[Ticket], Awaitable[object]]] = []

    async def changed(self, ticket: Ticket) -> None:
        """A ticket changed: let the schedulers know."""
        for hook in self.on_change:
            await hook(ticket)

    # ----- who speaks which language ---------------------------------------------------------

    async def lang_of(self, telegram_id: int) -> str:
        """The language to write to a person in: staff setting, their choice, Telegram's."""
        settings = self.services.settings
        member = settings.staff_member(telegram_id)
        if member is not None and member.language:
            return member.language
        person = await self.services.store.get_person(telegram_id)
        return pick_language(
            person.language if person else None,
            person.language_code if person else None,
            settings.languages,
            settings.default_language,
        )

    def text(self, lang: str) -> TicketText:
        """Ticket wording in a language, dates told relative to the clock's now."""
        return TicketText(
            self.services.settings,
            self.services.catalog,
            lang,
            now=self.services.clock(),
            calendars=self.services.calendars,
        )

    # ----- routing ---------------------------------------------------------------------------

    async def route(
        self, department: str, estate: str, skip: frozenset[int] = frozenset()
    ) -> RouteDecision:
        """Who should get a ticket now (roster, load, round robin, fallback), not ``skip``."""
        store = self.services.store
        return route_ticket(
            self.services.settings,
            self.roster,
            department,
            estate,
            self.services.clock(),
            await store.open_load(),
            await store.recent_assignees(),
            await store.unavailable_staff() | skip,
        )

    def first_assignment(
        self, ticket: Ticket, decision: RouteDecision
    ) -> tuple[Ticket, list[TicketEvent], list[Outgoing]]:
        """The routing step of a new ticket: assigned ticket, its event, the cards to send.

        Runs inside the ticket's creating transaction, so it only computes (no store calls):
        a new ticket has no cards yet, and an assignment's notices are its cards.
        """
        if decision.assignee is None:
            log.warning(
                "ticket %s: nobody on duty and no fallback for department %s",
                ticket.number,
                ticket.department,
            )
            return ticket, [], self._card_messages(ticket, {})
        result = decide(
            ticket, Assign(decision.assignee, decision.reason), SYSTEM, self.services.clock()
        )
        assert isinstance(result, Decision), result
        after = apply(ticket, result)
        return after, [result.event], self._card_messages(after, {})

    # ----- acting ----------------------------------------------------------------------------

    async def act(
        self,
        ticket_id: int,
        action: Action,
        actor: Actor,
        conversation: tuple[int, str] | None = None,
        also: Sequence[Outgoing] = (),
        via: str = "",
        expect_version: int | None = None,
    ) -> tuple[Ticket, Decision] | Refusal | None:
        """Decide and write one action; None when the ticket does not exist.

        On a write conflict (someone changed the ticket meanwhile) the decision is taken again
        on the fresh ticket, so of two simultaneous Accepts the second is refused as taken.
        A ``conversation`` that asked for the action ends with it (see Store.transition).
        ``via`` names the channel on the timeline; with ``expect_version`` (what the person
        saw) any change meanwhile raises TicketChanged instead of deciding again.
        """
        store = self.services.store
        for _ in range(_CONFLICT_RETRIES):
            ticket = await store.get_ticket(ticket_id)
            if ticket is None:
                return None
            if expect_version is not None and ticket.version != expect_version:
                raise TicketChanged(ticket)
            events = await store.ticket_events(ticket_id)
            result = decide(ticket, action, actor, self.services.clock(), events=events)
            if isinstance(result, Refusal):
                return result
            if via:
                result = replace(
                    result, event=replace(result.event, data={**result.event.data, "via": via})
                )
            hold = self._relay_hold(result, events)
            if hold is not None:  # on the timeline, marked: staff hear of it in the notice
                held = replace(result.event, data={**result.event.data, "held": True})
                result = replace(result, event=held)
            after = self._after(ticket, result, action)
            messages = [*await self.messages_for(ticket, after, result, hold), *also]
            if result.event.kind == "escalated":
                messages = [as_alert(m) for m in messages]
            survey = self._survey_change(after, result)
            if await store.transition(ticket, after, result.event, messages, conversation, survey):
                log.info(
                    "ticket %s: %s by %s",
                    ticket.number,
                    result.event.kind,
                    actor.telegram_id if actor.telegram_id is not None else "system",
                )
                self.services.bell.ring()
                await self.changed(after)
                if after.paused_at is not None and result.event.kind == "owner_message":
                    # The owner answered: the clock that waited for them runs again.
                    await self.resume(after.id, SYSTEM)
                return after, result
        return Refusal("no_change")

    def _relay_hold(self, decision: Decision, events: Sequence[TicketEvent]) -> RelayHold | None:
        """Whether an owner's message waits on the ticket instead of being relayed now."""
        if decision.event.kind != OWNER_MESSAGE:
            return None
        limits = self.services.settings.limits
        return relay_hold(events, decision.event.at, limits.relays_per_ticket, limits.relay_window)

    def check(
        self, ticket: Ticket, action: Action, actor: Actor, events: Sequence[TicketEvent] = ()
    ) -> Refusal | None:
        """Would the action be allowed now? (Before asking someone to type a note.)"""
        result = decide(ticket, action, actor, self.services.clock(), events=events)
        return result if isinstance(result, Refusal) else None

    def _survey_change(self, after: Ticket, decision: Decision) -> SurveyChange | None:
        """Resolving schedules the return visit; reopening cancels it; "fixed" brings it on."""
        kind = decision.event.kind
        settings = self.services.settings
        if kind == "resolved":
            due = survey_due(settings, decision.event.at, confirmed=False)
            return SurveyChange("new", due, after.assignee_id)
        if kind == "reopened":
            return SurveyChange("cancel")
        if kind == "confirmed" and settings.surveys.ask_when_confirmed:
            return SurveyChange("sooner", survey_due(settings, decision.event.at, confirmed=True))
        return None

    def _after(self, ticket: Ticket, decision: Decision, action: Action) -> Ticket:
        """The ticket as written: the decision plus what it implies for fields and deadlines."""
        after = apply(ticket, decision)
        if isinstance(action, Resolve):
            after = replace(after, resolution_note=action.note, resolution_photo=action.photo)
        if decision.event.kind == "escalated":
            after = replace(after, overdue=True)
        handed_over = decision.status is Status.ASSIGNED and (
            decision.assignee_changed or decision.event.kind == "reopened"
        )
        if handed_over:
            # Whoever gets the ticket now has a full accept period of their own.
            cal = self.services.calendars.of(after.department)
            reopened = decision.event.kind == "reopened"
            accept_due, resolve_due = restart_deadlines(
                self.services.settings, cal, after, decision.event.at, reopened=reopened
            )
            after = replace(
                after,
                accept_due=accept_due,
                resolve_due=resolve_due,
                overdue=after.overdue and not reopened,
            )
        return after

    async def pause(self, ticket_id: int, actor: Actor, via: str = "") -> Ticket | Refusal | None:
        """Stop the resolve clock while the ticket waits for the owner (e.g. no access)."""
        ticket = await self.services.store.get_ticket(ticket_id)
        if ticket is None:
            return None
        refused = self.check(ticket, AddNote("pause"), actor)
        if refused is not None:
            return refused
        if ticket.status is not Status.ACCEPTED:
            return Refusal("wrong_state")
        if ticket.paused_at is not None:
            return Refusal("no_change")
        now = self.services.clock()
        after = replace(ticket, paused_at=now, updated_at=now)
        lang = await self.lang_of(ticket.owner_id)
        shown = shown_name(self.services.settings, actor.telegram_id, lang)
        owner_note = Outgoing(
            ticket.owner_id,
            self.text(lang).t("notify.owner.waiting", number=ticket.number, by_name=shown),
            ticket_id=ticket.id,
        )
        cards = await self._cards(ticket, after, new_assignee=False)
        data = {"via": via} if via else {}
        return await self._write(ticket, after, "paused", actor, data, [owner_note, *cards])

    async def resume(self, ticket_id: int, actor: Actor, via: str = "") -> Ticket | Refusal | None:
        """Start the resolve clock again; the deadline moves by the time spent waiting."""
        ticket = await self.services.store.get_ticket(ticket_id)
        if ticket is None:
            return None
        if actor.role != "system" and actor.telegram_id != ticket.owner_id:
            refused = self.check(ticket, AddNote("resume"), actor)
            if refused is not None:
                return refused
        if ticket.paused_at is None:
            return Refusal("no_change")
        now = self.services.clock()
        cal = self.services.calendars.of(ticket.department)
        due = resumed_due(self.services.settings, cal, ticket, now)
        after = replace(ticket, paused_at=None, resolve_due=due, updated_at=now)
        cards = await self._cards(ticket, after, new_assignee=False)
        data = {
            "paused_seconds": int((now - ticket.paused_at).total_seconds()),
            "resolve_due": due.isoformat(),
            **({"via": via} if via else {}),
        }
        return await self._write(ticket, after, "resumed", actor, data, cards)

    async def _write(
        self,
        ticket: Ticket,
        after: Ticket,
        kind: str,
        actor: Actor,
        data: Mapping[str, object],
        messages: Sequence[Outgoing],
    ) -> Ticket | Refusal:
        event = TicketEvent(ticket.id, self.services.clock(), kind, actor.telegram_id, dict(data))
        if not await self.services.store.transition(ticket, after, event, messages):
            return Refusal("no_change")
        log.info("ticket %s: %s", ticket.number, kind)
        self.services.bell.ring()
        await self.changed(after)
        return after

    async def undeliverable(self, item: OutboxItem) -> None:
        """A staff member cannot be reached (blocked the bot): hand their ticket on."""
        message = item.message
        ticket = await self.services.store.get_ticket(message.ticket_id or 0)
        if (
            ticket is None
            or message.chat_id != ticket.assignee_id
            or ticket.status not in (Status.NEW, Status.ASSIGNED)
            or self.services.settings.staff_member(message.chat_id) is None
        ):
            return
        route = await self.route(ticket.department, ticket.estate, frozenset({message.chat_id}))
        if route.assignee is None or route.assignee == message.chat_id:
            return
        supervisors = self.supervisors_of(ticket.department, ticket.estate)
        also = []
        member = self.services.settings.staff_member(message.chat_id)
        for person in supervisors:
            lang = await self.lang_of(person)
            also.append(
                Outgoing(
                    person,
                    self.text(lang).t(
                        "notify.supervisor.unreachable",
                        number=ticket.number,
                        name=member.name if member else str(message.chat_id),
                    ),
                    ticket_id=ticket.id,
                    priority=Priority.ALERT,
                )
            )
        result = await self.act(
            ticket.id, Reassign(route.assignee, "unreachable"), SYSTEM, also=also
        )
        log.warning(
            "ticket %s: assignee %s unreachable; reassigned: %s",
            ticket.number,
            message.chat_id,
            not isinstance(result, Refusal),
        )

    async def record(
        self,
        ticket: Ticket,
        kind: str,
        data: Mapping[str, object],
        messages: Sequence[Outgoing],
    ) -> bool:
        """A timeline entry that changes nothing else (a nudge, an alert), with its messages."""
        event = TicketEvent(ticket.id, self.services.clock(), kind, None, dict(data))
        alerts = [as_alert(m) for m in messages]  # deadline reminders and alerts go first
        done = await self.services.store.transition(ticket, ticket, event, alerts)
        if done:
            log.info("ticket %s: %s %s", ticket.number, kind, dict(data).get("stage", ""))
            self.services.bell.ring()
        return done

    # ----- notices → messages ----------------------------------------------------------------

    async def messages_for(
        self, before: Ticket, after: Ticket, decision: Decision, hold: RelayHold | None = None
    ) -> list[Outgoing]:
        """What a decision makes people read: notices (a held relay: its count) and cards."""
        messages: list[Outgoing] = []
        for notice in decision.notices:
            for person in await self._recipients(notice, after):
                lang = await self.lang_of(person)
                if hold is not None and notice.key in _RELAYS:
                    messages.append(held_notice(self.text(lang), person, after, hold))
                else:
                    messages.append(
                        notice_message(self.services, self.text(lang), person, lang, notice, after)
                    )
        messages.extend(await self._cards(before, after, new_assignee=decision.assignee_changed))
        return messages

    def supervisors_of(self, department: str, estate: str) -> list[int]:
        """Who hears of trouble with a ticket there: supervisors and fallback, in their patch."""
        return supervisors_of(self.services.settings, department, estate)

    async def _recipients(self, notice: Notice, ticket: Ticket) -> list[int]:
        if notice.key == "notify.group.owner_message":
            # Nobody has the ticket yet: the supervisors read the owner's words.
            return await self._recipients(replace(notice, recipient="supervisor"), ticket)
        if notice.recipient == _GROUP_ONLY:
            return []  # the group's card is edited instead: no stream of group messages
        if notice.key == "notify.assignee.assigned" or notice.key == "notify.assignee.escalated":
            return []  # the new assignee's card is the notification
        if notice.recipient == "supervisor":
            return self.supervisors_of(notice.department or ticket.department, ticket.estate)
        return [notice.person] if notice.person is not None else []

    async def _cards(self, before: Ticket, after: Ticket, *, new_assignee: bool) -> list[Outgoing]:
        """Re-render every card of the ticket; send one to a new assignee and the group."""
        store = self.services.store
        existing = dict(await store.card_chats(after.id))
        for chat in await store.digest_chats(after.id):
            # A line on a group's digest card is the ticket's card there (bot.core.digest).
            if existing.get(chat, LEFT) == LEFT:
                existing[chat] = GROUP
        return self._card_messages(after, existing, new_assignee=new_assignee)

    def _card_messages(
        self, after: Ticket, existing: Mapping[int, str], *, new_assignee: bool = True
    ) -> list[Outgoing]:
        return card_messages(self.services.settings, after, existing, new_assignee=new_assignee)
