"""The ticket lifecycle: who may do what to a ticket in which state, and what follows from it.

Pure: ``decide`` gets the ticket, the action, who acts and the moment, and answers with either a
``Decision`` (the ticket's new status, assignee and department, the event for its timeline, and
who must be told what) or a ``Refusal`` with a reason code. The adapter writes a decision, its
event and the outbox messages its notices become in one transaction, and turns refusal codes
into polite localized answers. Nothing here reads the clock, the database or Telegram.

The states (docs/architecture.md, "Lifecycle")::

    new ──assign──▶ assigned ──accept──▶ accepted ──resolve──▶ resolved ──close──▶ closed
     │  └─────────accept (group card)──────▲ │                    │
     └──cancel──────────┴───────────────────┘                    └──not_fixed──▶ assigned
                  transfer / escalate / reassign ──▶ assigned

"On my way / in progress" is not a status: it is a ``started`` event on an accepted ticket
(see ``work_started``). A status would have doubled every edge out of ``accepted`` and touched
the store, the catalogs and every status list for one bit of information the timeline has.

Notices never go to the person who acted: the adapter answers them directly (the callback
answer, the edited message they pressed). Group and supervisor notices always go out, because a
group card is seen by others too.

Idempotence: every action that changes the ticket is refused with ``no_change`` (or another
refusal) when its effect is already there, so a double tap or a job that runs twice does nothing
twice. ``start_work`` and ``escalate`` leave the status alone, so for them ``decide`` looks at
the ticket's timeline, which the caller passes as ``events``. Notes and messages are not
idempotent by content (two equal notes are two notes); duplicate *updates* are the adapter's
business (docs/architecture.md, invariant 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import assert_never, get_args

from bot.config import Settings
from bot.core import transitions
from bot.core.actions import (
    Accept,
    Action,
    Actor,
    AddNote,
    Assign,
    Cancel,
    Close,
    ConfirmFixed,
    EndWithIncident,
    Escalate,
    NotFixed,
    OwnerMessage,
    Reassign,
    Reopen,
    ReplyToOwner,
    Resolve,
    StartWork,
    Transfer,
    actor_for,
)
from bot.core.guards import STAFF_ROLES, Ctx, ticket_out_of_scope
from bot.core.models import Ticket, TicketEvent
from bot.core.outcomes import Decision as Decision
from bot.core.outcomes import Notice as Notice
from bot.core.outcomes import Refusal as Refusal
from bot.core.outcomes import RefusalCode
from bot.core.transitions import work_started as work_started

REFUSAL_CODES: tuple[str, ...] = get_args(RefusalCode)

NOTICE_KEYS: frozenset[str] = frozenset(
    {
        "notify.owner.accepted",
        "notify.owner.started",
        "notify.owner.reply",
        "notify.owner.resolved",
        "notify.owner.transferred",
        "notify.owner.closed",
        "notify.assignee.assigned",
        "notify.assignee.transferred",
        "notify.assignee.note",
        "notify.assignee.owner_message",
        "notify.assignee.confirmed",
        "notify.assignee.reopened",
        "notify.assignee.cancelled",
        "notify.assignee.escalated",
        "notify.assignee.overdue",
        "notify.previous_assignee.taken_over",
        "notify.previous_assignee.transferred",
        "notify.previous_assignee.reassigned",
        "notify.previous_assignee.escalated",
        "notify.supervisor.overdue",
        "notify.supervisor.reopened",
        "notify.group.assigned",
        "notify.group.accepted",
        "notify.group.started",
        "notify.group.owner_message",
        "notify.group.transferred",
        "notify.group.transferred_in",
        "notify.group.transferred_out",
        "notify.group.resolved",
        "notify.group.reopened",
        "notify.group.cancelled",
        "notify.group.escalated",
        "notify.group.reassigned",
        "notify.group.closed",
    }
)
"""Every text key a notice may carry (for the catalogs and their consistency test)."""

EVENT_KINDS: frozenset[str] = frozenset(
    {
        "assigned",
        "accepted",
        "started",
        "note",
        "reply",
        "owner_message",
        "transferred",
        "resolved",
        "confirmed",
        "reopened",
        "cancelled",
        "escalated",
        "reassigned",
        "closed",
    }
)
"""Every event kind ``decide`` writes (the timeline shows them as ``event.<kind>``)."""


def apply(ticket: Ticket, decision: Decision) -> Ticket:
    """The ticket as it is after the decision (what the store writes)."""
    return replace(
        ticket,
        status=decision.status,
        assignee_id=decision.assignee,
        department=decision.department,
        updated_at=decision.event.at,
    )


def reopen_assignee(settings: Settings, ticket: Ticket) -> int | None:
    """Who gets a reopened ticket: its last assignee if still staff there, else a stand-in."""
    if ticket.assignee_id is not None:
        last = actor_for(settings, ticket.assignee_id)
        if last.role in STAFF_ROLES and ticket_out_of_scope(last, ticket) is None:
            return last.telegram_id
    department = settings.department(ticket.department)
    if department is not None and department.fallback is not None:
        return department.fallback
    for member in settings.staff:
        candidate = actor_for(settings, member.telegram_id)
        if candidate.role == "supervisor" and ticket_out_of_scope(candidate, ticket) is None:
            return member.telegram_id
    # None keeps the last assignee; the accept deadline's escalation then hands it on.
    return settings.escalation.manager


# --- the decision -----------------------------------------------------------------------------


def decide(
    ticket: Ticket,
    action: Action,
    actor: Actor,
    now: datetime,
    *,
    events: Sequence[TicketEvent] = (),
) -> Decision | Refusal:
    """Whether ``actor`` may take ``action`` on ``ticket`` now, and what it does if so.

    Checks run in the order of docs/architecture.md invariant 6 — who acts, may they, does the
    state allow it — so a stranger learns nothing about a ticket's state. ``events`` is the ticket's
    timeline, oldest first; without it a repeated start_work or escalation is not recognized.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    c = Ctx(ticket, actor, now, tuple(events))
    match action:
        case Assign():
            return transitions.assign(c, action)
        case Accept():
            return transitions.accept(c, action)
        case StartWork():
            return transitions.start_work(c)
        case AddNote():
            return transitions.add_note(c, action)
        case ReplyToOwner():
            return transitions.reply(c, action)
        case OwnerMessage():
            return transitions.owner_message(c, action)
        case Transfer():
            return transitions.transfer(c, action)
        case Resolve():
            return transitions.resolve(c, action)
        case ConfirmFixed():
            return transitions.confirm_fixed(c)
        case NotFixed():
            return transitions.not_fixed(c, action)
        case Cancel():
            return transitions.cancel(c, action)
        case Escalate():
            return transitions.escalate(c, action)
        case Reassign():
            return transitions.reassign(c, action)
        case Close():
            return transitions.close(c, action)
        case Reopen():
            return transitions.reopen(c, action)
        case EndWithIncident():
            return transitions.end_with_incident(c, action)
        case _:
            assert_never(action)
