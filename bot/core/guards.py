"""One ``decide`` call's context, and the checks of who may act that every transition runs first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.core.actions import Actor
from bot.core.models import Status, Ticket, TicketEvent
from bot.core.outcomes import Decision, Notice, Recipient, Refusal, RefusalCode
from bot.core.scope import out_of_scope

STAFF_ROLES: frozenset[str] = frozenset({"staff", "supervisor", "admin"})
MANAGER_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})
# Tickets an owner may still talk about; after closing, a new report is the way in.
TALKING: frozenset[Status] = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.ACCEPTED, Status.RESOLVED}
)
BEFORE_ACCEPT: frozenset[Status] = frozenset({Status.NEW, Status.ASSIGNED})
IN_HAND: frozenset[Status] = frozenset({Status.NEW, Status.ASSIGNED, Status.ACCEPTED})


class _Keep(Enum):
    """Marks "leave the assignee as it is" apart from "nobody"."""

    KEEP = "keep"


_KEEP = _Keep.KEEP


@dataclass(frozen=True)
class Ctx:
    """One call of ``decide``: the ticket, who acts, when, and the timeline."""

    ticket: Ticket
    actor: Actor
    now: datetime
    events: tuple[TicketEvent, ...]

    def notice(
        self,
        recipient: Recipient,
        what: str,
        person: int | None = None,
        department: str | None = None,
        extra: Mapping[str, object] | None = None,
        **params: object,
    ) -> Notice:
        """A notice with the parameters every text may use (number, who acted)."""
        return Notice(
            recipient,
            f"notify.{recipient}.{what}",
            {
                "number": self.ticket.number,
                "by": self.actor.telegram_id,
                "by_name": self.actor.name,
                **(extra or {}),
                **params,
            },
            person,
            department,
        )

    def owner(
        self, what: str, extra: Mapping[str, object] | None = None, **params: object
    ) -> Notice:
        """A notice to the ticket's owner."""
        return self.notice(
            "owner", what, person=self.ticket.owner_id, extra={**(extra or {}), **params}
        )

    def group(
        self,
        what: str,
        department: str | None = None,
        extra: Mapping[str, object] | None = None,
        **params: object,
    ) -> Notice:
        """A notice for a department's staff group card (the ticket's by default)."""
        return self.notice(
            "group",
            what,
            department=department or self.ticket.department,
            extra={**(extra or {}), **params},
        )

    def decision(
        self,
        kind: str,
        data: Mapping[str, object],
        notices: Sequence[Notice],
        status: Status | None = None,
        assignee: int | _Keep | None = _KEEP,
        department: str | None = None,
    ) -> Decision:
        """A decision; notices without a person to reach, or to the actor, are dropped."""
        new_assignee = self.ticket.assignee_id if isinstance(assignee, _Keep) else assignee
        kept = tuple(
            n
            for n in notices
            if n.recipient in ("group", "supervisor")
            or (n.person is not None and n.person != self.actor.telegram_id)
        )
        return Decision(
            status=self.ticket.status if status is None else status,
            assignee=new_assignee,
            department=department or self.ticket.department,
            assignee_changed=new_assignee != self.ticket.assignee_id,
            event=TicketEvent(self.ticket.id, self.now, kind, self.actor.telegram_id, dict(data)),
            notices=kept,
        )

    @property
    def is_assignee(self) -> bool:
        """Whether the actor is the ticket's assignee."""
        return self.actor.telegram_id is not None and self.actor.telegram_id == (
            self.ticket.assignee_id
        )


def ticket_out_of_scope(actor: Actor, ticket: Ticket) -> RefusalCode | None:
    """other_department / other_estate when the ticket is outside the actor's patch."""
    return out_of_scope(actor, ticket.department, ticket.estate)


def _refuse(code: RefusalCode | None) -> Refusal | None:
    return None if code is None else Refusal(code)


def as_owner(c: Ctx) -> Refusal | None:
    """Owner actions: only the ticket's own owner, whatever their role."""
    if c.actor.telegram_id is None or c.actor.telegram_id != c.ticket.owner_id:
        return Refusal("not_owner")
    return None


def as_system(c: Ctx) -> Refusal | None:
    """What only the scheduler and the router do: escalating, closing."""
    if c.actor.role != "system":
        return Refusal("system_only")
    return None


def as_manager(c: Ctx) -> Refusal | None:
    """Assigning: the router, or a supervisor/admin over the ticket."""
    if c.actor.role == "system":
        return None
    if c.actor.role == "owner":
        return Refusal("not_staff")
    if c.actor.role == "staff":
        return Refusal("not_supervisor")
    return _refuse(ticket_out_of_scope(c.actor, c.ticket))


def as_handler(c: Ctx) -> Refusal | None:
    """Working the ticket: its assignee, or a supervisor/admin over it."""
    if c.actor.role not in STAFF_ROLES:
        return Refusal("not_staff")
    # The assignee may act even outside their usual patch: someone put it in their hands.
    if c.is_assignee:
        return None
    out = ticket_out_of_scope(c.actor, c.ticket)
    if out is not None:
        return Refusal(out)
    return None if c.actor.role in MANAGER_ROLES else Refusal("not_assignee")


def as_taker(c: Ctx) -> Refusal | None:
    """Accepting: staff of the ticket's department and estate, or its assignee."""
    if c.actor.role not in STAFF_ROLES:
        return Refusal("not_staff")
    if c.is_assignee:
        return None
    return _refuse(ticket_out_of_scope(c.actor, c.ticket))


def blank(text: str) -> bool:
    """Whether a text has nothing but whitespace."""
    return not text.strip()
