"""One function per action: whether the ticket's state allows it, and the decision it makes."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.actions import (
    Accept,
    AddNote,
    Assign,
    Cancel,
    Close,
    EndWithIncident,
    Escalate,
    NotFixed,
    OwnerMessage,
    Reassign,
    Reopen,
    ReplyToOwner,
    Resolve,
    Transfer,
)
from bot.core.guards import (
    BEFORE_ACCEPT,
    IN_HAND,
    MANAGER_ROLES,
    TALKING,
    Ctx,
    as_handler,
    as_manager,
    as_owner,
    as_system,
    as_taker,
    blank,
)
from bot.core.models import Status, Ticket, TicketEvent
from bot.core.outcomes import Decision, Refusal


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


def assign(c: Ctx, a: Assign) -> Decision | Refusal:
    """Assign: a new ticket goes to a person (the router, or a supervisor over it)."""
    if refused := as_manager(c):
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


def accept(c: Ctx, a: Accept) -> Decision | Refusal:
    """Accept: the assignee, or anyone of the team on the group card, takes the ticket."""
    if refused := as_taker(c):
        return refused
    t = c.ticket
    if t.status is Status.ACCEPTED:
        if c.is_assignee:
            return Refusal("no_change")
        return Refusal("already_taken", {"by": t.assignee_id})
    if t.status not in BEFORE_ACCEPT:
        return Refusal("wrong_state")
    taken_from = t.assignee_id if t.assignee_id != c.actor.telegram_id else None
    if taken_from is not None and not a.via_group and c.actor.role not in MANAGER_ROLES:
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


def start_work(c: Ctx) -> Decision | Refusal:
    """StartWork: the assignee says "on my way", once per acceptance."""
    if refused := as_handler(c):
        return refused
    if c.ticket.status is not Status.ACCEPTED:
        return Refusal("wrong_state")
    if work_started(c.ticket, c.events):
        return Refusal("no_change")
    return c.decision("started", {}, [c.owner("started"), c.group("started")])


def add_note(c: Ctx, a: AddNote) -> Decision | Refusal:
    """AddNote: an internal note, passed on to the assignee."""
    if refused := as_handler(c):
        return refused
    if c.ticket.status not in TALKING:
        return Refusal("wrong_state")
    if blank(a.text):
        return Refusal("empty_text")
    # A supervisor's note is usually meant for the assignee; the assignee's own is dropped.
    return c.decision(
        "note",
        {"text": a.text},
        [c.notice("assignee", "note", person=c.ticket.assignee_id, text=a.text)],
    )


def reply(c: Ctx, a: ReplyToOwner) -> Decision | Refusal:
    """ReplyToOwner: words or a photo from the staff side to the owner."""
    if refused := as_handler(c):
        return refused
    if c.ticket.status not in TALKING:
        return Refusal("wrong_state")
    if blank(a.text) and a.photo is None:
        return Refusal("empty_text")
    return c.decision(
        "reply", {"text": a.text, "photo": a.photo}, [c.owner("reply", text=a.text, photo=a.photo)]
    )


def owner_message(c: Ctx, a: OwnerMessage) -> Decision | Refusal:
    """OwnerMessage: the owner's words or photos, to the assignee or the team's group."""
    if refused := as_owner(c):
        return refused
    t = c.ticket
    if t.status not in TALKING:
        return Refusal("wrong_state")
    if blank(a.text) and not a.photos:
        return Refusal("empty_text")
    params: dict[str, object] = {"text": a.text, "photos": list(a.photos)}
    # With nobody assigned the team's group card is where someone will read it.
    notice = (
        c.notice("assignee", "owner_message", person=t.assignee_id, extra=params)
        if t.assignee_id is not None
        else c.group("owner_message", extra=params)
    )
    return c.decision("owner_message", params, [notice])


def transfer(c: Ctx, a: Transfer) -> Decision | Refusal:
    """Transfer: to another department and/or person, with a reason."""
    if refused := as_handler(c):
        return refused
    t = c.ticket
    if t.status not in IN_HAND:
        return Refusal("wrong_state")
    if blank(a.reason):
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


def resolve(c: Ctx, a: Resolve) -> Decision | Refusal:
    """Resolve: an accepted ticket is reported done, with a note."""
    if refused := as_handler(c):
        return refused
    if c.ticket.status is Status.RESOLVED:
        return Refusal("no_change")
    if c.ticket.status is not Status.ACCEPTED:
        return Refusal("wrong_state")
    if blank(a.note):
        return Refusal("note_required")
    data: dict[str, object] = {"note": a.note, "photo": a.photo}
    return c.decision(
        "resolved",
        data,
        [c.owner("resolved", extra=data), c.group("resolved")],
        status=Status.RESOLVED,
    )


def confirm_fixed(c: Ctx) -> Decision | Refusal:
    """ConfirmFixed: the owner confirms the fix; the ticket closes."""
    if refused := as_owner(c):
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


def not_fixed(c: Ctx, a: NotFixed) -> Decision | Refusal:
    """NotFixed: the owner says the problem is still there; the ticket reopens."""
    if refused := as_owner(c):
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


def reopen(c: Ctx, a: Reopen) -> Decision | Refusal:
    """Reopen: a supervisor reopens a resolved ticket after a follow-up call."""
    if c.actor.role == "system":
        return Refusal("not_staff")  # a person decides to reopen, after talking to the owner
    if refused := as_manager(c):
        return refused
    t = c.ticket
    # Closed stays closed (docs/architecture.md); a follow-up keeps a badly rated ticket resolved.
    if t.status is not Status.RESOLVED:
        return Refusal("wrong_state")
    if blank(a.text):
        return Refusal("reason_required")
    to = a.to if a.to is not None else t.assignee_id
    return c.decision(
        "reopened",
        {"text": a.text, "from": t.assignee_id, "to": to, "by_supervisor": True},
        [c.notice("assignee", "reopened", person=to, text=a.text), c.group("reopened", to=to)],
        status=Status.ASSIGNED,
        assignee=to,
    )


def cancel(c: Ctx, a: Cancel) -> Decision | Refusal:
    """Cancel: the owner withdraws a ticket not yet resolved."""
    if refused := as_owner(c):
        return refused
    t = c.ticket
    if t.status is Status.CANCELLED:
        return Refusal("no_change")
    if t.status not in IN_HAND:
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


def escalate(c: Ctx, a: Escalate) -> Decision | Refusal:
    """Escalate: a missed deadline, once per deadline, perhaps handing the ticket on."""
    if refused := as_system(c):
        return refused
    t = c.ticket
    # A job that runs after the ticket moved on (accepted meanwhile) finds a stale stage.
    allowed = BEFORE_ACCEPT if a.stage == "accept" else IN_HAND
    if t.status not in allowed:
        return Refusal("wrong_state")
    missed = t.accept_due if a.stage == "accept" else t.resolve_due
    if a.due is not None and a.due != missed:
        return Refusal("no_change")  # that deadline was escalated (and replaced) already
    due = missed.isoformat()
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


def reassign(c: Ctx, a: Reassign) -> Decision | Refusal:
    """Reassign: a supervisor gives the ticket to someone else."""
    if refused := as_manager(c):
        return refused
    t = c.ticket
    if t.status not in IN_HAND:
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


def close(c: Ctx, a: Close) -> Decision | Refusal:
    """Close: the system closes a resolved ticket."""
    if refused := as_system(c):
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


def end_with_incident(c: Ctx, a: EndWithIncident) -> Decision | Refusal:
    """EndWithIncident: a ticket in hand ends with its incident's all-clear."""
    if refused := as_system(c):
        return refused
    if c.ticket.status not in IN_HAND:
        return Refusal("wrong_state")
    data: dict[str, object] = {"note": a.note, "photo": None, "incident": a.incident_id}
    if a.survey:
        # A resolution like any other: the owner rates it, the survey follows.
        return c.decision(
            "resolved",
            data,
            [c.owner("resolved", extra=data), c.group("resolved")],
            status=Status.RESOLVED,
        )
    data["reason"] = "incident"
    return c.decision(
        "closed",
        data,
        [c.owner("incident_closed", note=a.note), c.group("closed", reason="incident")],
        status=Status.CLOSED,
    )
