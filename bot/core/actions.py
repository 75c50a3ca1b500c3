"""What can be done to a ticket, and by whom: the actor, the system, and the action types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.config import Settings

Role = Literal["owner", "staff", "supervisor", "admin", "system"]
Stage = Literal["accept", "resolve"]

# --- who acts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (Telegram id, role, scope) or the system (no id)."""

    telegram_id: int | None
    role: Role
    # Plain staff work only in the departments listed; for supervisors an empty set means
    # every department (config.yaml's "no department restriction"). Admins are never limited.
    departments: frozenset[str] = frozenset()
    estates: frozenset[str] = frozenset()  # empty: every estate
    name: str = ""


SYSTEM = Actor(telegram_id=None, role="system")
"""The scheduler and the router: deadline escalations, survey closing, automatic assignment."""


def actor_for(settings: Settings, telegram_id: int) -> Actor:
    """The actor for a Telegram user: their staff entry, or an owner when they have none."""
    member = settings.staff_member(telegram_id)
    if member is None:
        return Actor(telegram_id=telegram_id, role="owner")
    return Actor(
        telegram_id=telegram_id,
        role=member.role,
        departments=frozenset(member.departments),
        estates=frozenset(member.estates),
        name=member.name,
    )


# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assign:
    """Route a new ticket to a person (by the router, or a supervisor choosing)."""

    to: int
    reason: str = ""  # e.g. the roster's "on_duty" / "fallback", or a supervisor's words


@dataclass(frozen=True)
class Accept:
    """Take a ticket (接单); ``via_group`` when pressed on the department group's card."""

    # On the group card anyone of the team may take a not-yet-accepted ticket (first accept
    # wins); a private card's button only works for whoever it was assigned to.
    via_group: bool = False


@dataclass(frozen=True)
class StartWork:
    """Say "on my way / working on it" on an accepted ticket; the status stays accepted."""


@dataclass(frozen=True)
class AddNote:
    """An internal note on the timeline; the owner never sees it."""

    text: str


@dataclass(frozen=True)
class ReplyToOwner:
    """A message from the staff side to the ticket's owner (text, and perhaps a photo)."""

    text: str
    photo: str | None = None


@dataclass(frozen=True)
class OwnerMessage:
    """The owner adds words or photos to their ticket."""

    text: str = ""
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transfer:
    """Pass the ticket to another department and/or person (who must accept it again)."""

    reason: str
    department: str | None = None  # None: stay in the ticket's department
    to: int | None = None  # None: nobody yet — the department's group card offers it


@dataclass(frozen=True)
class Resolve:
    """Report the work done, with a note and optionally a photo."""

    note: str
    photo: str | None = None


@dataclass(frozen=True)
class ConfirmFixed:
    """The owner says "Fixed, thank you": the ticket closes."""


@dataclass(frozen=True)
class NotFixed:
    """The owner says the problem is still there: the ticket reopens as assigned."""

    text: str = ""
    # None: back to whoever had it. ``reopen_assignee`` tells the caller who should get it
    # when that person has left or no longer covers the ticket.
    to: int | None = None


@dataclass(frozen=True)
class Reopen:
    """A supervisor reopens a resolved ticket after a follow-up call (回访)."""

    text: str
    to: int | None = None  # None: back to whoever had it


@dataclass(frozen=True)
class Cancel:
    """The owner withdraws the ticket (not once it is resolved)."""

    reason: str = ""


@dataclass(frozen=True)
class Escalate:
    """A deadline was missed: mark it overdue, tell the supervisor, optionally hand it on."""

    stage: Stage
    to: int | None = None  # the next person; None keeps the assignee (supervisor is told)
    # The deadline that was missed: refused once the ticket has another (a replica that lost
    # the race to escalate must not escalate the next person's fresh deadline).
    due: datetime | None = None


@dataclass(frozen=True)
class Reassign:
    """A supervisor gives the ticket to someone else (who must accept it)."""

    to: int
    reason: str = ""


@dataclass(frozen=True)
class Close:
    """The system closes a resolved ticket (survey answered, or no answer in time)."""

    reason: str


@dataclass(frozen=True)
class EndWithIncident:
    """The system settles a ticket linked to an incident at its all-clear: resolved (then
    surveyed as usual) when ``survey``, else closed at once."""

    incident_id: int
    note: str
    survey: bool = True


Action = (
    Assign
    | Accept
    | StartWork
    | AddNote
    | ReplyToOwner
    | OwnerMessage
    | Transfer
    | Resolve
    | ConfirmFixed
    | NotFixed
    | Cancel
    | Escalate
    | Reassign
    | Close
    | Reopen
    | EndWithIncident
)
OWNER_ACTIONS: tuple[type[Action], ...] = (Cancel, OwnerMessage, ConfirmFixed, NotFixed)
"""Actions only the ticket's owner may take."""
