"""When each promise of a ticket falls due, and what should happen then (pure).

A ticket carries its accept and resolve deadlines. From them and its timeline this module
derives the moments the scheduler acts at: a nudge at ``escalation.nudge_at`` of the way, the
deadline itself, and the manager's alert after a missed resolve deadline. What has already been
done is read from the timeline, so a job that runs twice, late or after a restart does nothing
the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.config import Settings
from bot.core.deadlines import (
    BusinessCalendar,
    Clock,
    add_business_time,
    business_time_between,
    due_at,
    fraction_point,
    next_business_moment,
)
from bot.core.models import Status, Ticket, TicketEvent

Kind = Literal["accept_nudge", "accept_due", "resolve_nudge", "resolve_due", "manager"]
KINDS: tuple[Kind, ...] = ("accept_nudge", "accept_due", "resolve_nudge", "resolve_due", "manager")
# Events after which a ticket waits for (a new) someone to accept it.
_ACCEPT_STARTS = frozenset(
    {"created", "assigned", "transferred", "escalated", "reassigned", "reopened"}
)


@dataclass(frozen=True)
class Due:
    """One thing to do at one moment for one ticket."""

    kind: Kind
    at: datetime
    deadline: datetime  # the deadline this belongs to (identifies it in the timeline)


def clock_of(settings: Settings, urgency: str) -> Clock:
    """Which clock an urgency's deadlines run on."""
    level = settings.urgency(urgency)
    return level.clock if level is not None else "always"


def deadlines_from(
    settings: Settings, cal: BusinessCalendar, category: str, urgency: str, start: datetime
) -> tuple[datetime, datetime]:
    """(accept by, resolve by) for a ticket of this category and urgency starting now."""
    accept, resolve = settings.deadlines(category, urgency)
    clock = clock_of(settings, urgency)
    return due_at(start, accept, clock, cal), due_at(start, resolve, clock, cal)


def _last(events: Sequence[TicketEvent], kinds: frozenset[str]) -> datetime | None:
    found = [e.at for e in events if e.kind in kinds]
    return found[-1] if found else None


def _done(events: Sequence[TicketEvent], kind: str, stage: str, deadline: datetime) -> bool:
    """Whether a nudge/escalation/alert for this stage and deadline is already on record."""
    return any(
        e.kind == kind and e.data.get("stage") == stage and _same(e.data.get("due"), deadline)
        for e in events
    )


def _same(recorded: object, deadline: datetime) -> bool:
    """A recorded ISO due time names the same instant as ``deadline``."""
    try:
        return isinstance(recorded, str) and datetime.fromisoformat(recorded) == deadline
    except ValueError:
        return False


def plan(
    settings: Settings, cal: BusinessCalendar, ticket: Ticket, events: Sequence[TicketEvent]
) -> list[Due]:
    """Everything still to do for a ticket, in time order (empty once it is resolved)."""
    clock = clock_of(settings, ticket.urgency)
    fraction = settings.escalation.nudge_at
    dues: list[Due] = []

    def when(moment: datetime) -> datetime:
        # Business-clock tickets wake nobody outside business hours; emergencies do.
        return next_business_moment(moment, cal) if clock == "business" else moment

    if ticket.status in (Status.NEW, Status.ASSIGNED):
        start = _last(events, _ACCEPT_STARTS) or ticket.created_at
        due = ticket.accept_due
        if start < due and not _done(events, "nudged", "accept", due):
            dues.append(
                Due("accept_nudge", when(fraction_point(start, due, fraction, clock, cal)), due)
            )
        if not _done(events, "escalated", "accept", due):
            dues.append(Due("accept_due", when(due), due))
    elif ticket.status is Status.ACCEPTED and ticket.paused_at is None:
        start = _last(events, frozenset({"accepted"})) or ticket.created_at
        due = ticket.resolve_due
        if start < due and not _done(events, "nudged", "resolve", due):
            dues.append(
                Due("resolve_nudge", when(fraction_point(start, due, fraction, clock, cal)), due)
            )
        if not _done(events, "escalated", "resolve", due):
            dues.append(Due("resolve_due", when(due), due))
        after = settings.escalation.manager_after
        if (
            settings.escalation.manager is not None
            and after is not None
            and not _done(events, "manager_alerted", "resolve", due)
        ):
            dues.append(Due("manager", when(due + after), due))
    return sorted(dues, key=lambda d: d.at)


def resumed_due(
    settings: Settings, cal: BusinessCalendar, ticket: Ticket, now: datetime
) -> datetime:
    """The resolve deadline after a pause: moved on by the paused span, in the ticket's clock."""
    assert ticket.paused_at is not None
    clock = clock_of(settings, ticket.urgency)
    if clock == "business":
        # Time outside business hours was never on the clock, so it is not given back either.
        span = max(business_time_between(ticket.paused_at, now, cal), timedelta(0))
        return add_business_time(ticket.resolve_due, span, cal)
    return ticket.resolve_due + max(now - ticket.paused_at, timedelta(0))


def restart_deadlines(
    settings: Settings, cal: BusinessCalendar, ticket: Ticket, now: datetime, *, reopened: bool
) -> tuple[datetime, datetime]:
    """Fresh deadlines for a ticket handed to someone new (and, when reopened, to resolve)."""
    accept, resolve = deadlines_from(settings, cal, ticket.category, ticket.urgency, now)
    # A hand-over does not move the promise made to the owner; a reopening starts it again.
    return accept, resolve if reopened else ticket.resolve_due
