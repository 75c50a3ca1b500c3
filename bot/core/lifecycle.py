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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Literal, assert_never, get_args

from bot.config import Settings
from bot.core.models import Status, Ticket, TicketEvent
from bot.core.scope import out_of_scope

Role = Literal["owner", "staff", "supervisor", "admin", "system"]
Recipient = Literal["owner", "assignee", "previous_assignee", "supervisor", "group"]
Stage = Literal["accept", "resolve"]
RefusalCode = Literal[
    "not_staff",  # an owner (or the system) tried a staff action
    "not_owner",  # an owner action on someone else's ticket
    "not_supervisor",  # plain staff tried a supervisor action
    "system_only",  # a person tried what only the scheduler does (escalate, close)
    "other_department",
    "other_estate",
    "not_assignee",  # staff of the right team, but the ticket is someone else's
    "wrong_state",  # the ticket's status does not allow the action (stale button)
    "already_taken",  # params: by (telegram id of whoever accepted it first)
    "no_change",  # the action's effect is already there (double tap, duplicate job)
    "empty_text",
    "note_required",
    "reason_required",
    "no_target",
]
REFUSAL_CODES: tuple[str, ...] = get_args(RefusalCode)

_STAFF_ROLES: frozenset[str] = frozenset({"staff", "supervisor", "admin"})
_MANAGER_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})
# Tickets an owner may still talk about; after closing, a new report is the way in.
_TALKING: frozenset[Status] = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.ACCEPTED, Status.RESOLVED}
)
_BEFORE_ACCEPT: frozenset[Status] = frozenset({Status.NEW, Status.ASSIGNED})
_IN_HAND: frozenset[Status] = frozenset({Status.NEW, Status.ASSIGNED, Status.ACCEPTED})

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


@dataclass(frozen=True)
class Reassign:
    """A supervisor gives the ticket to someone else (who must accept it)."""

    to: int
    reason: str = ""


@dataclass(frozen=True)
class Close:
    """The system closes a resolved ticket (survey answered, or no answer in time)."""

    reason: str


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
)
OWNER_ACTIONS: tuple[type[Action], ...] = (Cancel, OwnerMessage, ConfirmFixed, NotFixed)
"""Actions only the ticket's owner may take."""


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """Someone to tell something: a recipient role, a text key and its parameters."""

    recipient: Recipient
    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    person: int | None = None  # the Telegram id for owner / assignee / previous_assignee
    department: str | None = None  # whose group or supervisors, for group / supervisor


@dataclass(frozen=True)
class Decision:
    """An allowed action's effect: the ticket's new state, its event, and who to tell."""

    status: Status
    assignee: int | None  # the assignee after the decision, changed or not
    department: str  # the department after the decision, changed or not
    assignee_changed: bool
    event: TicketEvent
    notices: tuple[Notice, ...]


@dataclass(frozen=True)
class Refusal:
    """Why an action is not allowed; the adapter maps the code to a localized answer."""

    code: RefusalCode
    params: Mapping[str, object] = field(default_factory=dict)


def apply(ticket: Ticket, decision: Decision) -> Ticket:
    """The ticket as it is after the decision (what the store writes)."""
    return replace(
        ticket,
        status=decision.status,
        assignee_id=decision.assignee,
        department=decision.department,
        updated_at=decision.event.at,
    )


def work_started(ticket: Ticket, events: Sequence[TicketEvent]) -> bool:
    """True when the ticket is accepted and its assignee said "on my way" since accepting."""
    if ticket.status is not Status.ACCEPTED:
        return False
    # Every way back into "accepted" writes an "accepted" event, so a "started" before the
    # latest one belongs to an earlier round (before a transfer or a reopening).
    started = False
    for event in events:
        if event.kind == "accepted":
            started = False
        elif event.kind == "started":
            started = True
    return started


def reopen_assignee(settings: Settings, ticket: Ticket) -> int | None:
    """Who gets a reopened ticket: its last assignee if still staff there, else a stand-in."""
    if ticket.assignee_id is not None:
        last = actor_for(settings, ticket.assignee_id)
        if last.role in _STAFF_ROLES and _out_of_scope(last, ticket) is None:
            return last.telegram_id
    department = settings.department(ticket.department)
    if department is not None and department.fallback is not None:
        return department.fallback
    for member in settings.staff:
        candidate = actor_for(settings, member.telegram_id)
        if candidate.role == "supervisor" and _out_of_scope(candidate, ticket) is None:
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
    c = _Ctx(ticket, actor, now, tuple(events))
    match action:
        case Assign():
            return _assign(c, action)
        case Accept():
            return _accept(c, action)
        case StartWork():
            return _start_work(c)
        case AddNote():
            return _add_note(c, action)
        case ReplyToOwner():
            return _reply(c, action)
        case OwnerMessage():
            return _owner_message(c, action)
        case Transfer():
            return _transfer(c, action)
        case Resolve():
            return _resolve(c, action)
        case ConfirmFixed():
            return _confirm_fixed(c)
        case NotFixed():
            return _not_fixed(c, action)
        case Cancel():
            return _cancel(c, action)
        case Escalate():
            return _escalate(c, action)
        case Reassign():
            return _reassign(c, action)
        case Close():
            return _close(c, action)
        case Reopen():
            return _reopen(c, action)
        case _:
            assert_never(action)


class _Keep(Enum):
    """Marks "leave the assignee as it is" apart from "nobody"."""

    KEEP = "keep"


_KEEP = _Keep.KEEP


@dataclass(frozen=True)
class _Ctx:
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


def _out_of_scope(actor: Actor, ticket: Ticket) -> RefusalCode | None:
    """other_department / other_estate when the ticket is outside the actor's patch."""
    return out_of_scope(actor, ticket.department, ticket.estate)


def _refuse(code: RefusalCode | None) -> Refusal | None:
    return None if code is None else Refusal(code)


def _as_owner(c: _Ctx) -> Refusal | None:
    """Owner actions: only the ticket's own owner, whatever their role."""
    if c.actor.telegram_id is None or c.actor.telegram_id != c.ticket.owner_id:
        return Refusal("not_owner")
    return None


def _as_system(c: _Ctx) -> Refusal | None:
    if c.actor.role != "system":
        return Refusal("system_only")
    return None


def _as_manager(c: _Ctx) -> Refusal | None:
    """Assigning: the router, or a supervisor/admin over the ticket."""
    if c.actor.role == "system":
        return None
    if c.actor.role == "owner":
        return Refusal("not_staff")
    if c.actor.role == "staff":
        return Refusal("not_supervisor")
    return _refuse(_out_of_scope(c.actor, c.ticket))


def _as_handler(c: _Ctx) -> Refusal | None:
    """Working the ticket: its assignee, or a supervisor/admin over it."""
    if c.actor.role not in _STAFF_ROLES:
        return Refusal("not_staff")
    # The assignee may act even outside their usual patch: someone put it in their hands.
    if c.is_assignee:
        return None
    out = _out_of_scope(c.actor, c.ticket)
    if out is not None:
        return Refusal(out)
    return None if c.actor.role in _MANAGER_ROLES else Refusal("not_assignee")


def _as_taker(c: _Ctx) -> Refusal | None:
    """Accepting: staff of the ticket's department and estate, or its assignee."""
    if c.actor.role not in _STAFF_ROLES:
        return Refusal("not_staff")
    if c.is_assignee:
        return None
    return _refuse(_out_of_scope(c.actor, c.ticket))


def _blank(text: str) -> bool:
    return not text.strip()


# --- one function per action ------------------------------------------------------------------


def _assign(c: _Ctx, a: Assign) -> Decision | Refusal:
    if refused := _as_manager(c):
        return refused
    t = c.ticket
    if t.status is Status.ASSIGNED and t.assignee_id == a.to:
        return Refusal("no_change")
    # Only new tickets are routed; later moves are transfer / reassign / escalate, which say
    # why. An assign arriving after someone accepted from the group card lands here.
    if t.status is not Status.NEW:
        return Refusal("wrong_state")
    return c.decision(
        "assigned",
        {"to": a.to, "reason": a.reason},
        [
            c.notice("assignee", "assigned", person=a.to, reason=a.reason),
            c.group("assigned", to=a.to),
        ],
        status=Status.ASSIGNED,
        assignee=a.to,
    )


def _accept(c: _Ctx, a: Accept) -> Decision | Refusal:
    if refused := _as_taker(c):
        return refused
    t = c.ticket
    if t.status is Status.ACCEPTED:
        if c.is_assignee:
            return Refusal("no_change")
        return Refusal("already_taken", {"by": t.assignee_id})
    if t.status not in _BEFORE_ACCEPT:
        return Refusal("wrong_state")
    taken_from = t.assignee_id if t.assignee_id != c.actor.telegram_id else None
    if taken_from is not None and not a.via_group and c.actor.role not in _MANAGER_ROLES:
        # A private card's button after the ticket went to someone else: stale, not a race.
        return Refusal("not_assignee")
    notices = [
        c.owner("accepted"),
        c.group("accepted"),
    ]
    if taken_from is not None:
        notices.append(c.notice("previous_assignee", "taken_over", person=taken_from))
    return c.decision(
        "accepted",
        {"previous": taken_from, "via_group": a.via_group},
        notices,
        status=Status.ACCEPTED,
        assignee=c.actor.telegram_id,
    )


def _start_work(c: _Ctx) -> Decision | Refusal:
    if refused := _as_handler(c):
        return refused
    if c.ticket.status is not Status.ACCEPTED:
        return Refusal("wrong_state")
    if work_started(c.ticket, c.events):
        return Refusal("no_change")
    return c.decision("started", {}, [c.owner("started"), c.group("started")])


def _add_note(c: _Ctx, a: AddNote) -> Decision | Refusal:
    if refused := _as_handler(c):
        return refused
    if c.ticket.status not in _TALKING:
        return Refusal("wrong_state")
    if _blank(a.text):
        return Refusal("empty_text")
    # A supervisor's note is usually meant for the assignee; the assignee's own is dropped.
    return c.decision(
        "note",
        {"text": a.text},
        [c.notice("assignee", "note", person=c.ticket.assignee_id, text=a.text)],
    )


def _reply(c: _Ctx, a: ReplyToOwner) -> Decision | Refusal:
    if refused := _as_handler(c):
        return refused
    if c.ticket.status not in _TALKING:
        return Refusal("wrong_state")
    if _blank(a.text) and a.photo is None:
        return Refusal("empty_text")
    return c.decision(
        "reply", {"text": a.text, "photo": a.photo}, [c.owner("reply", text=a.text, photo=a.photo)]
    )


def _owner_message(c: _Ctx, a: OwnerMessage) -> Decision | Refusal:
    if refused := _as_owner(c):
        return refused
    t = c.ticket
    if t.status not in _TALKING:
        return Refusal("wrong_state")
    if _blank(a.text) and not a.photos:
        return Refusal("empty_text")
    params: dict[str, object] = {"text": a.text, "photos": list(a.photos)}
    # With nobody assigned the team's group card is where someone will read it.
    notice = (
        c.notice("assignee", "owner_message", person=t.assignee_id, extra=params)
        if t.assignee_id is not None
        else c.group("owner_message", extra=params)
    )
    return c.decision("owner_message", params, [notice])


def _transfer(c: _Ctx, a: Transfer) -> Decision | Refusal:
    if refused := _as_handler(c):
        return refused
    t = c.ticket
    if t.status not in _IN_HAND:
        return Refusal("wrong_state")
    if _blank(a.reason):
        return Refusal("reason_required")
    if a.department is None and a.to is None:
        return Refusal("no_target")
    department = a.department or t.department
    moved = department != t.department
    if not moved and a.to == t.assignee_id:
        return Refusal("no_change")
    data: dict[str, object] = {
        "from_department": t.department,
        "to_department": department,
        "from": t.assignee_id,
        "to": a.to,
        "reason": a.reason,
    }
    notices = [
        c.notice(
            "assignee", "transferred", person=a.to, reason=a.reason, from_department=t.department
        ),
    ]
    if t.assignee_id is not None and t.assignee_id != a.to:
        notices.append(
            c.notice(
                "previous_assignee",
                "transferred",
                person=t.assignee_id,
                to=a.to,
                to_department=department,
                reason=a.reason,
            )
        )
    if moved:
        notices += [
            c.group(
                "transferred_in",
                department=department,
                from_department=t.department,
                to=a.to,
                reason=a.reason,
            ),
            c.group("transferred_out", department=t.department, to_department=department),
            c.owner("transferred", to_department=department),
        ]
    else:
        notices.append(c.group("transferred", to=a.to, reason=a.reason))
    return c.decision(
        "transferred",
        data,
        notices,
        status=Status.ASSIGNED,
        assignee=a.to,
        department=department,
    )


def _resolve(c: _Ctx, a: Resolve) -> Decision | Refusal:
    if refused := _as_handler(c):
        return refused
    if c.ticket.status is Status.RESOLVED:
        return Refusal("no_change")
    if c.ticket.status is not Status.ACCEPTED:
        return Refusal("wrong_state")
    if _blank(a.note):
        return Refusal("note_required")
    data: dict[str, object] = {"note": a.note, "photo": a.photo}
    return c.decision(
        "resolved",
        data,
        [c.owner("resolved", extra=data), c.group("resolved")],
        status=Status.RESOLVED,
    )


def _confirm_fixed(c: _Ctx) -> Decision | Refusal:
    if refused := _as_owner(c):
        return refused
    if c.ticket.status is Status.CLOSED:
        return Refusal("no_change")
    if c.ticket.status is not Status.RESOLVED:
        return Refusal("wrong_state")
    return c.decision(
        "confirmed",
        {},
        [
            c.notice("assignee", "confirmed", person=c.ticket.assignee_id),
            c.group("closed", reason="confirmed"),
        ],
        status=Status.CLOSED,
    )


def _not_fixed(c: _Ctx, a: NotFixed) -> Decision | Refusal:
    if refused := _as_owner(c):
        return refused
    t = c.ticket
    # A second "not fixed" finds the ticket assigned again: wrong_state, nothing repeated.
    if t.status is not Status.RESOLVED:
        return Refusal("wrong_state")
    to = a.to if a.to is not None else t.assignee_id
    return c.decision(
        "reopened",
        {"text": a.text, "from": t.assignee_id, "to": to},
        [
            c.notice("assignee", "reopened", person=to, text=a.text),
            # An unhappy owner means the case is reviewed again (docs/architecture.md).
            c.notice("supervisor", "reopened", department=t.department, text=a.text, to=to),
            c.group("reopened", to=to),
        ],
        status=Status.ASSIGNED,
        assignee=to,
    )


def _reopen(c: _Ctx, a: Reopen) -> Decision | Refusal:
    if c.actor.role == "system":
        return Refusal("not_staff")  # a person decides to reopen, after talking to the owner
    if refused := _as_manager(c):
        return refused
    t = c.ticket
    # Closed stays closed (docs/architecture.md); a follow-up keeps a badly rated ticket resolved.
    if t.status is not Status.RESOLVED:
        return Refusal("wrong_state")
    if _blank(a.text):
        return Refusal("reason_required")
    to = a.to if a.to is not None else t.assignee_id
    return c.decision(
        "reopened",
        {"text": a.text, "from": t.assignee_id, "to": to, "by_supervisor": True},
        [c.notice("assignee", "reopened", person=to, text=a.text), c.group("reopened", to=to)],
        status=Status.ASSIGNED,
        assignee=to,
    )


def _cancel(c: _Ctx, a: Cancel) -> Decision | Refusal:
    if refused := _as_owner(c):
        return refused
    t = c.ticket
    if t.status is Status.CANCELLED:
        return Refusal("no_change")
    if t.status not in _IN_HAND:
        return Refusal("wrong_state")
    return c.decision(
        "cancelled",
        {"reason": a.reason},
        [
            c.notice("assignee", "cancelled", person=t.assignee_id, reason=a.reason),
            c.group("cancelled", reason=a.reason),
        ],
        status=Status.CANCELLED,
    )


def _escalate(c: _Ctx, a: Escalate) -> Decision | Refusal:
    if refused := _as_system(c):
        return refused
    t = c.ticket
    # A job that runs after the ticket moved on (accepted meanwhile) finds a stale stage.
    allowed = _BEFORE_ACCEPT if a.stage == "accept" else _IN_HAND
    if t.status not in allowed:
        return Refusal("wrong_state")
    due = (t.accept_due if a.stage == "accept" else t.resolve_due).isoformat()
    # The missed deadline identifies the escalation: a rerun of the same job finds it done,
    # while a new deadline set for the next person can be escalated again.
    if any(
        e.kind == "escalated" and e.data.get("stage") == a.stage and e.data.get("due") == due
        for e in c.events
    ):
        return Refusal("no_change")
    handed_on = a.to is not None and a.to != t.assignee_id
    data: dict[str, object] = {
        "stage": a.stage,
        "due": due,
        "from": t.assignee_id,
        "to": a.to if handed_on else t.assignee_id,
    }
    notices = [
        c.notice(
            "supervisor",
            "overdue",
            department=t.department,
            stage=a.stage,
            assignee=t.assignee_id,
            to=data["to"],
        ),
        c.group("escalated", stage=a.stage, to=data["to"]),
    ]
    if not handed_on:
        notices.append(c.notice("assignee", "overdue", person=t.assignee_id, stage=a.stage))
        return c.decision("escalated", data, notices)
    notices.append(c.notice("assignee", "escalated", person=a.to, stage=a.stage))
    notices.append(
        c.notice("previous_assignee", "escalated", person=t.assignee_id, stage=a.stage, to=a.to)
    )
    # The new person has to accept it, even when the first one already had.
    return c.decision("escalated", data, notices, status=Status.ASSIGNED, assignee=a.to)


def _reassign(c: _Ctx, a: Reassign) -> Decision | Refusal:
    if refused := _as_manager(c):
        return refused
    t = c.ticket
    if t.status not in _IN_HAND:
        return Refusal("wrong_state")
    if a.to == t.assignee_id:
        return Refusal("no_change")
    return c.decision(
        "reassigned",
        {"from": t.assignee_id, "to": a.to, "reason": a.reason},
        [
            c.notice("assignee", "assigned", person=a.to, reason=a.reason),
            c.notice(
                "previous_assignee", "reassigned", person=t.assignee_id, to=a.to, reason=a.reason
            ),
            c.group("reassigned", to=a.to),
        ],
        status=Status.ASSIGNED,
        assignee=a.to,
    )


def _close(c: _Ctx, a: Close) -> Decision | Refusal:
    if refused := _as_system(c):
        return refused
    if c.ticket.status is Status.CLOSED:
        return Refusal("no_change")
    if c.ticket.status is not Status.RESOLVED:
        return Refusal("wrong_state")
    return c.decision(
        "closed",
        {"reason": a.reason},
        [c.owner("closed", reason=a.reason), c.group("closed", reason=a.reason)],
        status=Status.CLOSED,
    )
