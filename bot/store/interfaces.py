"""What the bot asks of storage: one small Protocol per aggregate, and ``Storage`` for all.

A backend (SQLite today, PostgreSQL next) implements every Protocol. Callers depend on the
narrowest one they need. Each docstring states the contract a backend must keep: what commits
together, what happens once, and what a compare-and-set refuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from bot.core.facts import EventFact, PlaceTicket, SurveyFact, TicketFact
from bot.core.models import OutboxItem, Outgoing, Person, Survey, Ticket, TicketDraft, TicketEvent
from bot.store.dashboard import BoardPage, BoardQuery, LoginUse, WebSession
from bot.store.digest_interfaces import DigestStore
from bot.store.incident_interfaces import IncidentStore as IncidentStore  # re-exported
from bot.store.notice_interfaces import NoticeStore as NoticeStore  # re-exported
from bot.store.proposal_interfaces import IncidentReportReads, ProposalStore
from bot.store.reports import EVERYTHING, ExportChunk, Scope

SurveyStamp = Literal["sent_at", "reminded_at"]
"""The moment a survey step records (``SurveyStore.survey_mark``)."""


@dataclass(frozen=True)
class SurveyChange:
    """What a ticket change does to its survey: ``new`` (a resolution: cancel what is pending,
    schedule the next round), ``cancel`` (reopened), ``sooner`` (the owner confirmed the fix:
    ask at ``due_at`` if that is earlier than planned)."""

    kind: str
    due_at: datetime | None = None
    staff_id: int | None = None


class ConversationGone(Exception):
    """The conversation a change was to end is gone: it was already submitted or cancelled."""


class UpdateLog(Protocol):
    """The Telegram updates handled so far (a repeat after a crash has no effect)."""

    async def update_handled(self, update_id: int) -> bool:
        """True if the update was marked handled before."""
        ...

    async def last_handled_update(self) -> int:
        """The highest update id marked handled (0 for none)."""
        ...

    async def mark_update_handled(self, update_id: int, now: datetime, keep: int = 10_000) -> None:
        """Mark an update handled; idempotent; at least the last ``keep`` ids are kept."""
        ...


class PersonStore(Protocol):
    """People's Telegram profiles and chosen language."""

    async def upsert_person(self, person: Person, now: datetime) -> Person:
        """Insert or update a profile, keeping its chosen language; returns it with that."""
        ...

    async def get_person(self, telegram_id: int) -> Person | None:
        """A stored person, or None."""
        ...

    async def set_language(self, telegram_id: int, language: str, now: datetime) -> None:
        """Remember a person's chosen language (no-op for an unknown person)."""
        ...

    async def set_phone(self, telegram_id: int, phone: str | None, now: datetime) -> None:
        """Keep an owner's phone (None: they chose not to give one); either way it was asked."""
        ...


class OwnerMemory(Protocol):
    """What is remembered of owners' homes between reports, and the register of real units."""

    async def remember_home(
        self, owner_id: int, estate: str, building: str, unit: str, now: datetime
    ) -> None:
        """Record a home an owner reported from (again: it becomes the most recent)."""
        ...

    async def owner_homes(self, owner_id: int, limit: int = 5) -> list[tuple[str, str, str]]:
        """An owner's homes as (estate, building, unit), most recently used first."""
        ...

    async def import_units(self, units: Sequence[tuple[str, str, str]]) -> int:
        """Add (estate, building, unit) rows to the register (repeats ignored); how many new."""
        ...

    async def building_units(self, estate: str, building: str) -> frozenset[str]:
        """The registered units of a building (empty: the building has no register)."""
        ...


class ConversationStore(Protocol):
    """Each chat's flow state, written at every step so a restart resumes it."""

    async def get_conversation(self, chat_id: int) -> dict[str, Any] | None:
        """The state saved for a chat, or None."""
        ...

    async def save_conversation(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Replace a chat's state (``state`` holds ``flow`` and ``token``); durable on return."""
        ...

    async def stash_draft(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Keep a cancelled conversation's state so it can be restored (one per chat)."""
        ...

    async def take_draft(self, chat_id: int, since: datetime) -> dict[str, Any] | None:
        """Remove a chat's stashed draft; its state if it was stashed at or after ``since``."""
        ...

    async def delete_conversation(self, chat_id: int, token: str | None = None) -> bool:
        """End a chat's flow (only the one with ``token``, if given); True if one ended."""
        ...


class TicketStore(Protocol):
    """Tickets and their timelines; every change commits with its events and messages."""

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
        """One transaction: end conversation (chat_id, token), count the day, insert, effects.

        None (nothing written) when that conversation is gone, so a double submit opens one
        ticket. ``number_for(n)`` numbers the ``day_key``'s n-th ticket; ``effects`` runs
        inside the transaction and gives the routed ticket, its events and the messages to
        queue. The returned ticket is committed before anyone can be shown its number; it keeps
        ``owner_phone``, the phone the owner had given when filing, and a ticket for a flat
        (building and unit) records it among the owner's homes in the same transaction.
        """
        ...

    async def transition(
        self,
        before: Ticket,
        after: Ticket,
        event: TicketEvent,
        messages: Sequence[Outgoing],
        conversation: tuple[int, str] | None = None,
        survey: SurveyChange | None = None,
    ) -> bool:
        """Compare-and-set on ``before.version``: write ``after``, event, messages and survey.

        False (nothing written) if the ticket changed since ``before`` was read. The
        ``conversation`` (chat id, token) ends in the same transaction; if it is gone,
        ConversationGone is raised and nothing is written. Bumps the stored version.
        """
        ...

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        """A ticket by id, or None."""
        ...

    async def get_ticket_by_number(self, number: str) -> Ticket | None:
        """A ticket by its number, or None."""
        ...

    async def owner_tickets(self, owner_id: int, limit: int, offset: int = 0) -> list[Ticket]:
        """A page of an owner's tickets, newest first."""
        ...

    async def owner_tickets_since(self, owner_id: int, since: datetime) -> list[tuple[str, str]]:
        """(category, description) of an owner's tickets created at or after ``since``."""
        ...

    async def count_owner_tickets(self, owner_id: int) -> int:
        """How many tickets an owner has."""
        ...

    async def ticket_events(self, ticket_id: int) -> list[TicketEvent]:
        """A ticket's timeline in the order it was written."""
        ...

    async def assigned_tickets(self, telegram_id: int, limit: int = 50) -> list[Ticket]:
        """A staff member's assigned or accepted tickets, the nearest deadline first."""
        ...

    async def tickets_in_progress(self) -> list[Ticket]:
        """Every new, assigned or accepted ticket, by id."""
        ...

    async def versions_in_progress(self) -> dict[int, int]:
        """Ticket id → version of every ticket in progress (a light read: no rows mapped)."""
        ...

    async def events_in_progress(self, first: int, last: int) -> dict[int, list[TicketEvent]]:
        """The timelines of the tickets in progress with ids first..last, by ticket id."""
        ...

    async def open_tickets(
        self,
        departments: Collection[str] | None,
        now: datetime,
        limit: int = 50,
        estates: Collection[str] | None = None,
    ) -> list[Ticket]:
        """Open tickets unassigned, flagged overdue or past a deadline at ``now``, by id.

        Limited to ``departments`` and ``estates`` when given (an empty one matches nothing).
        """
        ...


class StaffState(Protocol):
    """Who is on duty and how loaded they are, for routing."""

    async def set_available(self, telegram_id: int, available: bool, now: datetime) -> None:
        """Record /duty on or off (last write wins)."""
        ...

    async def unavailable_staff(self) -> frozenset[int]:
        """Staff whose last word was /duty off."""
        ...

    async def open_load(self) -> dict[int, int]:
        """Assigned or accepted tickets per assignee (absent: none)."""
        ...

    async def recent_assignees(self, limit: int = 200) -> list[int]:
        """Assignees of the last ``limit`` assigned tickets, oldest first (round robin)."""
        ...


class OutboxStore(Protocol):
    """Messages waiting to be sent; delivery is at least once."""

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime) -> None:
        """Queue messages in one transaction, with the card and ``collapse`` folding rules.

        A card refresh already pending for the ticket and chat absorbs a new one; a message
        with ``collapse`` replaces the not-yet-tried pending one with the same key.
        """
        ...

    async def due_outbox(self, now: datetime, limit: int = 200) -> list[OutboxItem]:
        """Each chat's head (priority, then id) if due; most important first. Read only."""
        ...

    async def due_outbox_of_chat(self, chat_id: int, now: datetime) -> OutboxItem | None:
        """One chat's head as ``due_outbox`` picks it, if due, else None."""
        ...

    async def outbox_sent(self, item_id: int, message_id: int | None, now: datetime) -> None:
        """Mark a message delivered (and which Telegram message it became)."""
        ...

    async def outbox_retry(self, item_id: int, at: datetime, error: str) -> None:
        """Count a failed attempt and try again at ``at``; it keeps its place in its chat."""
        ...

    async def outbox_failed(self, item_id: int, error: str, now: datetime) -> None:
        """Give up on a message; one transaction with a ``delivery_failed`` ticket event."""
        ...

    async def outbox_counts(self) -> dict[str, int]:
        """How many messages are in each status (pending, sent, failed)."""
        ...


class CardStore(Protocol):
    """Where each ticket's cards are, so a change edits them instead of sending anew."""

    async def card_message(self, ticket_id: int, chat_id: int) -> int | None:
        """The message id of a ticket's card in a chat, or None."""
        ...

    async def card_chats(self, ticket_id: int) -> list[tuple[int, str]]:
        """(chat id, audience) of every card of a ticket, in the order first saved."""
        ...

    async def save_card(self, ticket_id: int, chat_id: int, message_id: int, audience: str) -> None:
        """Record or replace the card of a ticket in a chat (one per ticket and chat)."""
        ...

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a sent card or ticket message belongs to, or None."""
        ...

    async def sent_card(self, chat_id: int, card: str) -> int | None:
        """The message id of the latest delivered outbox message in a chat carrying ``card``
        (e.g. "followup:12"), or None: where a card that is not a ticket's card stands."""
        ...

    async def card_of_message(self, chat_id: int, message_id: int) -> str | None:
        """The ``card`` a delivered outbox message in a chat carried, or None."""
        ...


class SurveyStore(Protocol):
    """Satisfaction surveys and their follow-up calls; each step happens once."""

    async def get_survey(self, survey_id: int) -> Survey | None:
        """A survey by id, or None."""
        ...

    async def surveys_pending(self, ticket_id: int | None = None) -> list[Survey]:
        """Scheduled or sent surveys and open follow-ups (of one ticket, or all), by id."""
        ...

    async def survey_mark(
        self,
        survey_id: int,
        *,
        expect: str,
        status: str,
        column: SurveyStamp | None,
        now: datetime,
        messages: Sequence[Outgoing] = (),
    ) -> bool:
        """Compare-and-set ``expect`` → ``status``, stamping ``column`` if still unset.

        Queues ``messages`` in the same transaction; False (nothing written) if the survey
        was not in ``expect`` or the stamp was already set.
        """
        ...

    async def survey_rate(self, survey_id: int, rating: int, now: datetime) -> bool:
        """Record the rating if the survey is still ``sent``; False otherwise."""
        ...

    async def survey_details(
        self, survey_id: int, problems: Sequence[str], comment: str | None, praise: str | None
    ) -> None:
        """Store the answers after the rating (overwrites)."""
        ...

    async def followup_open(self, survey_id: int, due: datetime) -> bool:
        """Open the follow-up call once; False if one was ever opened."""
        ...

    async def followup_close(self, survey_id: int, outcome: str) -> bool:
        """Close an open follow-up with ``outcome``; False if it was not open."""
        ...


class ReportReads(Protocol):
    """Read-only facts for reports and exports over a period [start, end)."""

    async def ticket_facts(
        self, start: datetime, end: datetime, now: datetime, scope: Scope = EVERYTHING
    ) -> list[TicketFact]:
        """Tickets created, reaching a milestone, surveyed or falling due in the period."""
        ...

    async def period_events(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[EventFact]:
        """Resolutions, reopenings, cancellations and escalations in the period."""
        ...

    async def surveys_sent(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[SurveyFact]:
        """Surveys sent in the period, with their answers."""
        ...

    async def place_tickets(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[PlaceTicket]:
        """Where and what the tickets created in the period were."""
        ...

    def export_chunks(
        self, start: datetime, end: datetime, size: int = 2000
    ) -> AsyncIterator[ExportChunk]:
        """Tickets created in the period by (created_at, id), ``size`` at a time, with their
        events and surveys; each chunk is read on demand."""
        ...


class ReportRuns(Protocol):
    """Which run of each scheduled report was sent."""

    async def last_run(self, name: str) -> int | None:
        """The key of the last claimed run of a report, or None."""
        ...

    async def claim_run(self, name: str, key: int) -> bool:
        """Atomically claim run ``key``; False if it or a later one was claimed (one winner)."""
        ...


class BoardReads(Protocol):
    """The dashboard's ticket lists (read only)."""

    async def board_tickets(self, query: BoardQuery, now: datetime) -> BoardPage:
        """A page of the tickets matching ``query`` (the most pressing deadline first, then by
        id) and how many match in all; overdue means past a deadline at ``now`` or flagged."""
        ...


class WebAuthStore(Protocol):
    """The dashboard's one-time login links and browser sessions (only hashes are stored)."""

    async def add_login(
        self, token_hash: str, telegram_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Store a login link's token hash; links long expired are pruned in passing."""
        ...

    async def use_login(self, token_hash: str, now: datetime) -> tuple[LoginUse, int | None]:
        """Spend a login link once: ("ok", telegram id) the first time before it expires;
        "used", "expired" or "unknown" (and None) otherwise. Of two at once, one gets "ok"."""
        ...

    async def add_session(
        self, session_hash: str, telegram_id: int, csrf: str, now: datetime
    ) -> None:
        """Start a browser session."""
        ...

    async def touch_session(
        self, session_hash: str, now: datetime, idle_since: datetime
    ) -> WebSession | None:
        """The session, marked seen at ``now``, if it was last seen at or after ``idle_since``;
        None for an unknown or idle one (idle sessions are deleted then)."""
        ...

    async def end_session(self, session_hash: str) -> None:
        """End a session (sign out, or its person left the staff list)."""
        ...


class ReportSource(ReportReads, IncidentReportReads, Protocol):
    """What a report is built from."""


class Storage(
    UpdateLog,
    PersonStore,
    OwnerMemory,
    ConversationStore,
    TicketStore,
    StaffState,
    OutboxStore,
    CardStore,
    DigestStore,
    SurveyStore,
    ReportReads,
    ReportRuns,
    BoardReads,
    WebAuthStore,
    NoticeStore,
    IncidentStore,
    ProposalStore,
    IncidentReportReads,
    Protocol,
):
    """Everything the running bot asks of storage."""

    async def close(self) -> None:
        """Release the connection; no call may follow."""
        ...
