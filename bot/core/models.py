"""Domain records shared by the core, the store and the adapter (plain data, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class Status(StrEnum):
    """Where a ticket is in its lifecycle (docs/architecture.md, "Lifecycle")."""

    NEW = "new"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN_STATUSES: frozenset[Status] = frozenset({Status.NEW, Status.ASSIGNED, Status.ACCEPTED})


class Priority(IntEnum):
    """Which message goes first when Telegram's limits make messages wait (lower first)."""

    REPLY = 0  # the answer to what a person just did (the next question, a ticket number)
    ALERT = 1  # ticket cards, escalations, deadline alerts
    NOTICE = 2  # relays between owner and staff, notices, surveys, digests
    BULK = 3  # announcements to many owners at once: never ahead of anyone else's message


def _cjk(text: str) -> bool:
    """True when every letter of ``text`` is a CJK ideograph, kana or hangul."""
    letters = [c for c in text if not c.isspace()]
    return bool(letters) and all(
        "\u3040" <= c <= "\u30ff"  # kana
        or "\u3400" <= c <= "\u9fff"  # CJK ideographs (with extension A)
        or "\uac00" <= c <= "\ud7af"  # hangul
        or "\uf900" <= c <= "\ufaff"
        for c in letters
    )


@dataclass(frozen=True)
class Person:
    """A Telegram user as we know them (owner or staff)."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    language: str | None = None  # chosen with /language; wins over language_code
    phone: str | None = None  # shared with Telegram's contact button (their own number)
    phone_asked: bool = False  # asked once: given, or skipped for good

    @property
    def display_name(self) -> str:
        """The name as its owner writes it: 陈美玲 (family name first, no space) for Chinese,
        Japanese or Korean names, else first and last name as Telegram shows them."""
        if self.last_name and _cjk(self.first_name) and _cjk(self.last_name):
            return f"{self.last_name.strip()}{self.first_name.strip()}"
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class TicketDraft:
    """Everything needed to open a ticket, before it has a number."""

    owner_id: int
    kind: str
    category: str
    subcategory: str | None
    department: str
    estate: str
    building: str | None
    unit: str | None
    area: str | None
    location_detail: str | None
    urgency: str
    description: str
    photos: tuple[str, ...]
    language: str
    created_at: datetime
    accept_due: datetime
    resolve_due: datetime


@dataclass(frozen=True)
class Ticket(TicketDraft):
    """A stored ticket."""

    id: int = 0
    number: str = ""
    status: Status = Status.NEW
    assignee_id: int | None = None
    updated_at: datetime | None = None
    version: int = 0  # bumped by every change; a stale writer loses (two Accepts: one wins)
    overdue: bool = False
    resolution_note: str | None = None
    resolution_photo: str | None = None
    paused_at: datetime | None = None  # the resolve clock waits for the owner since then
    owner_phone: str | None = None  # the owner's phone when it was filed (staff cards only)


@dataclass(frozen=True)
class TicketEvent:
    """One line of a ticket's timeline: who did what, when, and why."""

    ticket_id: int
    at: datetime
    kind: str
    actor_id: int | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outgoing:
    """A message to deliver later through the outbox (text, optional buttons and photo).

    A ``card`` message ("staff" or "group") is a ticket card: its text is rendered from the
    ticket when it is delivered, and it edits the card already in that chat if there is one.
    """

    chat_id: int
    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # rows of (label, callback data)
    photo: str | None = None
    ticket_id: int | None = None
    card: str | None = None
    photos: tuple[str, ...] = ()  # an album sent before the text (a card's photos)
    priority: Priority = Priority.NOTICE
    not_before: datetime | None = None  # queued now, delivered from then on
    # A message still waiting for ``not_before`` with the same key, chat and ticket is
    # replaced by this one instead of queueing another (a running count).
    collapse: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    """A queued message as stored, with its delivery bookkeeping."""

    id: int
    message: Outgoing
    attempts: int
    status: str


@dataclass(frozen=True)
class Survey:
    """One return visit (回访): asked after one resolution of a ticket, answered or not."""

    id: int
    ticket_id: int
    round: int
    staff_id: int | None
    status: str  # scheduled → sent → answered | expired | cancelled
    due_at: datetime
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    answered_at: datetime | None = None
    rating: int | None = None
    problems: tuple[str, ...] = ()
    comment: str | None = None
    praise: str | None = None
    followup_status: str | None = None  # open → done | reopened
    followup_due: datetime | None = None


# A button in the outbox says what it does and to which ticket or survey, not how a channel
# encodes that: "owner.fixed#42". Rows written by earlier releases hold Telegram callback data,
# which never contains "#", so both kinds can be told apart (and still delivered).
_REF_MARK = "#"


def action_ref(action: str, target: int = 0) -> str:
    """A button's channel-neutral data: an action and the ticket or survey it applies to."""
    return f"{action}{_REF_MARK}{target}"


def parse_action_ref(data: str) -> tuple[str, int] | None:
    """The action and target of neutral button data; None for anything else (old rows)."""
    action, mark, target = data.rpartition(_REF_MARK)
    if not mark or not action or not target.isdigit():
        return None
    return action, int(target)
