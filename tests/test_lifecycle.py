"""The ticket lifecycle: transitions, authorization, refusals, notices and idempotence."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest

from bot.config import Company, Department, Settings, StaffMember
from bot.core.actions import (
    OWNER_ACTIONS,
    SYSTEM,
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
from bot.core.lifecycle import (
    EVENT_KINDS,
    NOTICE_KEYS,
    REFUSAL_CODES,
    Decision,
    Notice,
    Refusal,
    apply,
    decide,
    reopen_assignee,
    work_started,
)
from bot.core.models import Status, Ticket, TicketEvent

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 9, 15, 10, 0, tzinfo=SH)
N, A, C, R, X, K = (
    Status.NEW,
    Status.ASSIGNED,
    Status.ACCEPTED,
    Status.RESOLVED,
    Status.CLOSED,
    Status.CANCELLED,
)

# The lifecycle diagram of docs/architecture.md, written out independently of the module under test.
# new → accepted is the group card's "accept" on a ticket nobody was routed to yet; a ticket
# linked to an incident ends with its all-clear (resolved, or closed when nobody is surveyed).
DIAGRAM: dict[Status, set[Status]] = {
    N: {A, C, K, R, X},
    A: {C, K, R, X},
    C: {R, A, K, X},
    R: {X, A},
    X: set(),
    K: set(),
}

OWNER, STRANGER = 100, 101
ALICE, BOB = 1, 2  # maintenance, every estate
CAROL = 3  # cleaning
DAVE = 4  # maintenance, Emerald Lake only
ERIN = 5  # plumbing
SUP = 10  # supervisor of maintenance
SUP_CLEAN = 11  # supervisor of cleaning
SUP_ALL = 12  # supervisor without a department restriction
SUP_EMERALD = 13  # supervisor of maintenance at Emerald Lake only
ADMIN = 20  # admin of the service department: admins act everywhere anyway


def _settings(*, fallback: int | None = None, drop: tuple[int, ...] = ()) -> Settings:
    staff = [
        StaffMember(telegram_id=ALICE, name="Alice", departments=["maintenance"]),
        StaffMember(telegram_id=BOB, name="Bob", departments=["maintenance"]),
        StaffMember(telegram_id=CAROL, name="Carol", departments=["cleaning"]),
        StaffMember(
            telegram_id=DAVE, name="Dave", departments=["maintenance"], estates=["emerald"]
        ),
        StaffMember(telegram_id=ERIN, name="Erin", departments=["plumbing"]),
        StaffMember(telegram_id=SUP, name="Sam", role="supervisor", departments=["maintenance"]),
        StaffMember(telegram_id=SUP_CLEAN, name="Sue", role="supervisor", departments=["cleaning"]),
        StaffMember(telegram_id=SUP_ALL, name="Sid", role="supervisor"),
        StaffMember(
            telegram_id=SUP_EMERALD,
            name="Sal",
            role="supervisor",
            departments=["maintenance"],
            estates=["emerald"],
        ),
        StaffMember(telegram_id=ADMIN, name="Ada", role="admin", departments=["service"]),
    ]
    return Settings(
        hotline="400-800-1234",
        ticket_prefix="HV",
        company=Company(name={"en": "Harbour View"}),
        departments=[
            Department(id="maintenance", name={"en": "Maintenance"}, fallback=fallback),
            Department(id="cleaning", name={"en": "Cleaning"}),
            Department(id="plumbing", name={"en": "Plumbing"}),
        ],
        staff=[s for s in staff if s.telegram_id not in drop],
    )


SETTINGS = _settings()


def who(telegram_id: int) -> Actor:
    return actor_for(SETTINGS, telegram_id)


ACTORS: dict[str, Actor] = {
    "owner": who(OWNER),
    "stranger": who(STRANGER),
    "alice": who(ALICE),
    "bob": who(BOB),
    "carol_other_department": who(CAROL),
    "dave_other_estate": who(DAVE),
    "supervisor": who(SUP),
    "supervisor_other_department": who(SUP_CLEAN),
    "supervisor_everywhere": who(SUP_ALL),
    "supervisor_other_estate": who(SUP_EMERALD),
    "admin": who(ADMIN),
    "system": SYSTEM,
}


def ticket(status: Status = N, assignee: int | None = None, **changes: object) -> Ticket:
    base = Ticket(
        owner_id=OWNER,
        kind="repair",
        category="water",
        subcategory=None,
        department="maintenance",
        estate="harbour",
        building="1",
        unit="3-1202",
        area=None,
        location_detail=None,
        urgency="urgent",
        description="The pipe under the sink leaks",
        photos=(),
        language="en",
        created_at=NOW - timedelta(hours=1),
        accept_due=NOW - timedelta(minutes=30),
        resolve_due=NOW + timedelta(hours=23),
        id=7,
        number="HV-20250915-0001",
        status=status,
        assignee_id=assignee,
        updated_at=NOW - timedelta(hours=1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def ok(result: Decision | Refusal) -> Decision:
    assert isinstance(result, Decision), result
    return result


def refused(result: Decision | Refusal) -> Refusal:
    assert isinstance(result, Refusal), result
    return result


def to(decision: Decision, recipient: str) -> list[Notice]:
    return [n for n in decision.notices if n.recipient == recipient]


def event(kind: str, actor: int | None = None, **data: object) -> TicketEvent:
    return TicketEvent(7, NOW - timedelta(minutes=5), kind, actor, dict(data))


# --- actors -----------------------------------------------------------------------------------


def test_actor_for_staff_and_owner() -> None:
    dave = who(DAVE)
    assert dave == Actor(DAVE, "staff", frozenset({"maintenance"}), frozenset({"emerald"}), "Dave")
    assert who(SUP_ALL).role == "supervisor" and who(SUP_ALL).departments == frozenset()
    assert who(STRANGER) == Actor(STRANGER, "owner")
    assert SYSTEM.telegram_id is None and SYSTEM.role == "system"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(ticket(), Accept(), who(ALICE), NOW.replace(tzinfo=None))


# --- every legal transition -------------------------------------------------------------------

LEGAL: list[tuple[str, Ticket, Action, int | None, Status, int | None, str]] = [
    # (name, ticket, action, actor id (None: system), new status, new assignee, event kind)
    ("assign by router", ticket(N), Assign(ALICE, "on_duty"), None, A, ALICE, "assigned"),
    ("assign by supervisor", ticket(N), Assign(BOB, "manual"), SUP, A, BOB, "assigned"),
    ("accept new from group", ticket(N), Accept(via_group=True), ALICE, C, ALICE, "accepted"),
    ("accept new privately", ticket(N), Accept(), BOB, C, BOB, "accepted"),
    ("accept own assignment", ticket(A, ALICE), Accept(), ALICE, C, ALICE, "accepted"),
    ("accept unassigned", ticket(A, None), Accept(), BOB, C, BOB, "accepted"),
    ("accept from group", ticket(A, ALICE), Accept(via_group=True), BOB, C, BOB, "accepted"),
    ("supervisor takes it", ticket(A, ALICE), Accept(), SUP, C, SUP, "accepted"),
    ("admin takes it", ticket(N), Accept(), ADMIN, C, ADMIN, "accepted"),
    ("start work", ticket(C, ALICE), StartWork(), ALICE, C, ALICE, "started"),
    ("start work by supervisor", ticket(C, ALICE), StartWork(), SUP, C, ALICE, "started"),
    ("note on new", ticket(N), AddNote("call first"), SUP, N, None, "note"),
    ("note on assigned", ticket(A, ALICE), AddNote("parts"), ALICE, A, ALICE, "note"),
    ("note on accepted", ticket(C, ALICE), AddNote("parts"), ALICE, C, ALICE, "note"),
    ("note on resolved", ticket(R, ALICE), AddNote("ok"), SUP_ALL, R, ALICE, "note"),
    ("reply on new", ticket(N), ReplyToOwner("Seen it"), SUP, N, None, "reply"),
    ("reply on assigned", ticket(A, ALICE), ReplyToOwner("Home?"), ALICE, A, ALICE, "reply"),
    ("reply on accepted", ticket(C, ALICE), ReplyToOwner("10 min"), ALICE, C, ALICE, "reply"),
    ("reply on resolved", ticket(R, ALICE), ReplyToOwner("Sure"), ALICE, R, ALICE, "reply"),
    ("owner adds on new", ticket(N), OwnerMessage("also"), OWNER, N, None, "owner_message"),
    (
        "owner adds on assigned",
        ticket(A, ALICE),
        OwnerMessage(photos=("f1",)),
        OWNER,
        A,
        ALICE,
        "owner_message",
    ),
    (
        "owner adds on accepted",
        ticket(C, ALICE),
        OwnerMessage("hi"),
        OWNER,
        C,
        ALICE,
        "owner_message",
    ),
    (
        "owner adds on resolved",
        ticket(R, ALICE),
        OwnerMessage("q"),
        OWNER,
        R,
        ALICE,
        "owner_message",
    ),
    (
        "transfer to person",
        ticket(A, ALICE),
        Transfer("busy", to=BOB),
        ALICE,
        A,
        BOB,
        "transferred",
    ),
    (
        "transfer accepted",
        ticket(C, ALICE),
        Transfer("not ours", "plumbing", ERIN),
        ALICE,
        A,
        ERIN,
        "transferred",
    ),
    ("transfer new", ticket(N), Transfer("wrong team", "cleaning"), SUP, A, None, "transferred"),
    (
        "release to group",
        ticket(C, ALICE),
        Transfer("off sick", "maintenance"),
        ALICE,
        A,
        None,
        "transferred",
    ),
    ("resolve", ticket(C, ALICE), Resolve("Replaced the seal", "p1"), ALICE, R, ALICE, "resolved"),
    ("resolve by admin", ticket(C, ALICE), Resolve("Done"), ADMIN, R, ALICE, "resolved"),
    ("confirm fixed", ticket(R, ALICE), ConfirmFixed(), OWNER, X, ALICE, "confirmed"),
    ("not fixed", ticket(R, ALICE), NotFixed("still drips"), OWNER, A, ALICE, "reopened"),
    ("not fixed, stand-in", ticket(R, ALICE), NotFixed("no", to=SUP), OWNER, A, SUP, "reopened"),
    ("cancel new", ticket(N), Cancel("sorted"), OWNER, K, None, "cancelled"),
    ("cancel assigned", ticket(A, ALICE), Cancel(), OWNER, K, ALICE, "cancelled"),
    ("cancel accepted", ticket(C, ALICE), Cancel(), OWNER, K, ALICE, "cancelled"),
    ("escalate new", ticket(N), Escalate("accept", SUP), None, A, SUP, "escalated"),
    ("escalate assigned", ticket(A, ALICE), Escalate("accept", BOB), None, A, BOB, "escalated"),
    ("mark new overdue", ticket(N), Escalate("accept"), None, N, None, "escalated"),
    ("mark assigned overdue", ticket(A, ALICE), Escalate("accept"), None, A, ALICE, "escalated"),
    ("mark accepted overdue", ticket(C, ALICE), Escalate("resolve"), None, C, ALICE, "escalated"),
    ("escalate accepted", ticket(C, ALICE), Escalate("resolve", SUP), None, A, SUP, "escalated"),
    ("reassign new", ticket(N), Reassign(BOB), SUP, A, BOB, "reassigned"),
    ("reassign assigned", ticket(A, ALICE), Reassign(BOB, "closer"), SUP, A, BOB, "reassigned"),
    ("reassign accepted", ticket(C, ALICE), Reassign(BOB), SUP_ALL, A, BOB, "reassigned"),
    ("reassign by system", ticket(A, ALICE), Reassign(BOB, "left"), None, A, BOB, "reassigned"),
    ("close after survey", ticket(R, ALICE), Close("survey"), None, X, ALICE, "closed"),
    (
        "all-clear resolves",
        ticket(A, ALICE),
        EndWithIncident(7, "water back"),
        None,
        R,
        ALICE,
        "resolved",
    ),
    (
        "all-clear closes",
        ticket(N),
        EndWithIncident(7, "water back", survey=False),
        None,
        X,
        None,
        "closed",
    ),
    (
        "reopen after call back",
        ticket(R, ALICE),
        Reopen("owner still unhappy"),
        SUP,
        A,
        ALICE,
        "reopened",
    ),
    (
        "reopen resolved to another",
        ticket(R, ALICE),
        Reopen("redo", to=BOB),
        SUP,
        A,
        BOB,
        "reopened",
    ),
]


@pytest.mark.parametrize(
    ("t", "action", "actor_id", "status", "assignee", "kind"),
    [case[1:] for case in LEGAL],
    ids=[case[0] for case in LEGAL],
)
def test_legal_transition(
    t: Ticket,
    action: Action,
    actor_id: int | None,
    status: Status,
    assignee: int | None,
    kind: str,
) -> None:
    actor = SYSTEM if actor_id is None else who(actor_id)
    d = ok(decide(t, action, actor, NOW))
    assert (d.status, d.assignee, d.event.kind) == (status, assignee, kind)
    assert d.assignee_changed == (assignee != t.assignee_id)
    assert d.event == TicketEvent(t.id, NOW, kind, actor_id, d.event.data)
    after = apply(t, d)
    assert (after.status, after.assignee_id, after.updated_at) == (status, assignee, NOW)


def test_every_action_type_has_a_legal_transition() -> None:
    assert {type(case[2]) for case in LEGAL} == set(get_args(Action))


# --- every refusal code -----------------------------------------------------------------------

REFUSALS: list[tuple[str, Ticket, Action, int | None, str]] = [
    ("stranger accepts", ticket(N), Accept(), STRANGER, "not_staff"),
    ("owner resolves own ticket", ticket(C, ALICE), Resolve("done"), OWNER, "not_staff"),
    ("system accepts", ticket(N), Accept(), None, "not_staff"),
    ("owner reassigns", ticket(A, ALICE), Reassign(BOB), OWNER, "not_staff"),
    ("stranger cancels", ticket(A, ALICE), Cancel(), STRANGER, "not_owner"),
    ("assignee confirms", ticket(R, ALICE), ConfirmFixed(), ALICE, "not_owner"),
    ("supervisor says not fixed", ticket(R, ALICE), NotFixed("x"), SUP, "not_owner"),
    ("system cancels", ticket(N), Cancel(), None, "not_owner"),
    ("stranger writes", ticket(A, ALICE), OwnerMessage("hi"), STRANGER, "not_owner"),
    ("staff reassigns", ticket(A, ALICE), Reassign(BOB), ALICE, "not_supervisor"),
    ("staff assigns", ticket(N), Assign(BOB), ALICE, "not_supervisor"),
    ("admin closes", ticket(R, ALICE), Close("survey"), ADMIN, "system_only"),
    ("supervisor escalates", ticket(A, ALICE), Escalate("accept", SUP), SUP, "system_only"),
    ("other team accepts", ticket(N), Accept(via_group=True), CAROL, "other_department"),
    ("other team resolves", ticket(C, ALICE), Resolve("x"), CAROL, "other_department"),
    ("other supervisor", ticket(A, ALICE), Reassign(BOB), SUP_CLEAN, "other_department"),
    ("other estate accepts", ticket(N), Accept(), DAVE, "other_estate"),
    ("other estate notes", ticket(C, ALICE), AddNote("x"), DAVE, "other_estate"),
    ("supervisor other estate", ticket(A, ALICE), Reassign(BOB), SUP_EMERALD, "other_estate"),
    ("colleague resolves", ticket(C, ALICE), Resolve("x"), BOB, "not_assignee"),
    ("stale private card", ticket(A, ALICE), Accept(), BOB, "not_assignee"),
    ("colleague replies", ticket(A, ALICE), ReplyToOwner("x"), BOB, "not_assignee"),
    ("colleague on new", ticket(N), AddNote("x"), BOB, "not_assignee"),
    ("resolve unaccepted", ticket(A, ALICE), Resolve("x"), ALICE, "wrong_state"),
    ("confirm unresolved", ticket(C, ALICE), ConfirmFixed(), OWNER, "wrong_state"),
    ("not fixed unresolved", ticket(A, ALICE), NotFixed("x"), OWNER, "wrong_state"),
    ("cancel resolved", ticket(R, ALICE), Cancel(), OWNER, "wrong_state"),
    ("cancel closed", ticket(X, ALICE), Cancel(), OWNER, "wrong_state"),
    ("assign accepted", ticket(C, ALICE), Assign(BOB), None, "wrong_state"),
    ("close accepted", ticket(C, ALICE), Close("no_answer"), None, "wrong_state"),
    ("late accept escalation", ticket(C, ALICE), Escalate("accept", BOB), None, "wrong_state"),
    ("start before accepting", ticket(A, ALICE), StartWork(), ALICE, "wrong_state"),
    ("note on closed", ticket(X, ALICE), AddNote("x"), ALICE, "wrong_state"),
    ("write on cancelled", ticket(K, ALICE), OwnerMessage("x"), OWNER, "wrong_state"),
    ("accept resolved", ticket(R, ALICE), Accept(), ALICE, "wrong_state"),
    ("transfer resolved", ticket(R, ALICE), Transfer("x", to=BOB), ALICE, "wrong_state"),
    ("reassign closed", ticket(X, ALICE), Reassign(BOB), SUP, "wrong_state"),
    ("accept taken", ticket(C, ALICE), Accept(via_group=True), BOB, "already_taken"),
    ("double accept", ticket(C, ALICE), Accept(), ALICE, "no_change"),
    ("double cancel", ticket(K, ALICE), Cancel(), OWNER, "no_change"),
    ("double close", ticket(X, ALICE), Close("survey"), None, "no_change"),
    ("fixed after close", ticket(X, ALICE), ConfirmFixed(), OWNER, "no_change"),
    ("double resolve", ticket(R, ALICE), Resolve("x"), ALICE, "no_change"),
    ("reassign to same", ticket(A, ALICE), Reassign(ALICE), SUP, "no_change"),
    ("assign to same", ticket(A, ALICE), Assign(ALICE), None, "no_change"),
    ("transfer to same", ticket(A, BOB), Transfer("x", to=BOB), SUP, "no_change"),
    ("empty note", ticket(C, ALICE), AddNote("  "), ALICE, "empty_text"),
    ("empty reply", ticket(C, ALICE), ReplyToOwner(""), ALICE, "empty_text"),
    ("empty owner message", ticket(C, ALICE), OwnerMessage(" \n"), OWNER, "empty_text"),
    ("resolve without note", ticket(C, ALICE), Resolve(" ", "photo"), ALICE, "note_required"),
    ("transfer without reason", ticket(C, ALICE), Transfer("", to=BOB), ALICE, "reason_required"),
    ("transfer nowhere", ticket(C, ALICE), Transfer("busy"), ALICE, "no_target"),
]


@pytest.mark.parametrize(
    ("t", "action", "actor_id", "code"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_refusal(t: Ticket, action: Action, actor_id: int | None, code: str) -> None:
    actor = SYSTEM if actor_id is None else who(actor_id)
    assert refused(decide(t, action, actor, NOW)).code == code


def test_every_refusal_code_is_exercised() -> None:
    assert {case[4] for case in REFUSALS} == set(REFUSAL_CODES)


def test_already_taken_says_by_whom() -> None:
    r = refused(decide(ticket(C, ALICE), Accept(via_group=True), who(BOB), NOW))
    assert r.params == {"by": ALICE}


# --- who may: one ticket, every kind of person ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("owner", "not_staff"),
        ("stranger", "not_staff"),
        ("alice", None),  # the assignee
        ("bob", "not_assignee"),
        ("carol_other_department", "other_department"),
        ("dave_other_estate", "other_estate"),
        ("supervisor", None),
        ("supervisor_other_department", "other_department"),
        ("supervisor_everywhere", None),
        ("supervisor_other_estate", "other_estate"),
        ("admin", None),
        ("system", "not_staff"),
    ],
)
def test_who_may_resolve(name: str, expected: str | None) -> None:
    result = decide(ticket(C, ALICE), Resolve("Replaced the seal"), ACTORS[name], NOW)
    assert (result.code if isinstance(result, Refusal) else None) == expected


@pytest.mark.parametrize("name", list(ACTORS))
def test_only_the_owner_may_withdraw(name: str) -> None:
    result = decide(ticket(C, ALICE), Cancel(), ACTORS[name], NOW)
    assert (result.code if isinstance(result, Refusal) else None) == (
        None if name == "owner" else "not_owner"
    )


def test_staff_who_owns_the_ticket_acts_as_owner_on_it() -> None:
    own = ticket(C, BOB, owner_id=ALICE)
    assert ok(decide(own, Cancel(), who(ALICE), NOW)).status is K


def test_assignee_outside_their_patch_may_still_work_it() -> None:
    # A supervisor put it in Carol's hands; she is not in maintenance, but it is hers now.
    d = ok(decide(ticket(C, CAROL), Resolve("done"), who(CAROL), NOW))
    assert d.status is R


def test_former_staff_lose_their_powers() -> None:
    gone = actor_for(_settings(drop=(ALICE,)), ALICE)
    assert gone.role == "owner"
    assert refused(decide(ticket(C, ALICE), Resolve("x"), gone, NOW)).code == "not_staff"


# --- first accept wins, double taps -----------------------------------------------------------


def test_first_accept_wins_on_a_new_group_ticket() -> None:
    t = ticket(N)
    first = ok(decide(t, Accept(via_group=True), who(ALICE), NOW))
    second = decide(t, Accept(via_group=True), who(BOB), NOW)
    assert isinstance(second, Decision)  # both saw "new"; the store applies them in turn
    after = apply(t, first)
    late = refused(decide(after, Accept(via_group=True), who(BOB), NOW))
    assert (late.code, late.params) == ("already_taken", {"by": ALICE})


def test_group_accept_takes_an_assigned_ticket_and_tells_the_assignee() -> None:
    t = ticket(A, ALICE)
    d = ok(decide(t, Accept(via_group=True), who(BOB), NOW))
    assert (d.status, d.assignee, d.event.data["previous"]) == (C, BOB, ALICE)
    assert [(n.key, n.person) for n in to(d, "previous_assignee")] == [
        ("notify.previous_assignee.taken_over", ALICE)
    ]
    assert [(n.key, n.person) for n in to(d, "owner")] == [("notify.owner.accepted", OWNER)]
    assert [(n.key, n.department) for n in to(d, "group")] == [
        ("notify.group.accepted", "maintenance")
    ]
    late = refused(decide(apply(t, d), Accept(), who(ALICE), NOW))
    assert (late.code, late.params) == ("already_taken", {"by": BOB})


def test_double_accept_by_the_same_person_changes_nothing() -> None:
    t = ticket(A, ALICE)
    d = ok(decide(t, Accept(), who(ALICE), NOW))
    assert to(d, "previous_assignee") == []
    again = decide(apply(t, d), Accept(), who(ALICE), NOW + timedelta(seconds=1))
    assert refused(again).code == "no_change"


def test_start_work_once_per_acceptance() -> None:
    t = ticket(C, ALICE)
    accepted = [event("accepted", ALICE)]
    assert not work_started(t, accepted)
    d = ok(decide(t, StartWork(), who(ALICE), NOW, events=accepted))
    assert d.status is C
    assert {n.key for n in d.notices} == {"notify.owner.started", "notify.group.started"}
    history = [*accepted, d.event]
    assert work_started(t, history)
    assert refused(decide(t, StartWork(), who(ALICE), NOW, events=history)).code == "no_change"
    # Transferred and accepted again: a new round, "on my way" may be said again.
    history += [event("transferred", ALICE), event("accepted", BOB)]
    assert not work_started(replace(t, assignee_id=BOB), history)
    ok(decide(replace(t, assignee_id=BOB), StartWork(), who(BOB), NOW, events=history))
    assert not work_started(ticket(R, ALICE), [*accepted, d.event])


def test_escalation_job_running_twice_escalates_once() -> None:
    t = ticket(A, ALICE)
    d = ok(decide(t, Escalate("accept", BOB), SYSTEM, NOW))
    after = apply(t, d)
    again = decide(after, Escalate("accept", BOB), SYSTEM, NOW, events=[d.event])
    assert refused(again).code == "no_change"
    # Bob got a fresh accept deadline and missed it too: that is a new escalation.
    later = replace(after, accept_due=NOW + timedelta(minutes=30))
    d2 = ok(
        decide(later, Escalate("accept", SUP), SYSTEM, NOW + timedelta(hours=1), events=[d.event])
    )
    assert (d2.assignee, d2.event.data["from"]) == (SUP, BOB)


def test_escalation_notices() -> None:
    handed_on = ok(decide(ticket(A, ALICE), Escalate("accept", BOB), SYSTEM, NOW))
    assert {(n.key, n.person, n.department) for n in handed_on.notices} == {
        ("notify.supervisor.overdue", None, "maintenance"),
        ("notify.group.escalated", None, "maintenance"),
        ("notify.assignee.escalated", BOB, None),
        ("notify.previous_assignee.escalated", ALICE, None),
    }
    kept = ok(decide(ticket(C, ALICE), Escalate("resolve"), SYSTEM, NOW))
    assert {(n.key, n.person) for n in kept.notices} == {
        ("notify.supervisor.overdue", None),
        ("notify.group.escalated", None),
        ("notify.assignee.overdue", ALICE),
    }
    assert kept.event.data == {
        "stage": "resolve",
        "due": ticket().resolve_due.isoformat(),
        "from": ALICE,
        "to": ALICE,
    }


# --- reopening, cancelling, transferring ------------------------------------------------------


def test_not_fixed_goes_back_to_the_same_staff_member() -> None:
    t = ticket(R, ALICE)
    assert reopen_assignee(SETTINGS, t) == ALICE
    d = ok(decide(t, NotFixed("Still dripping"), who(OWNER), NOW))
    assert (d.status, d.assignee, d.assignee_changed) == (A, ALICE, False)
    assert {(n.key, n.person, n.department) for n in d.notices} == {
        ("notify.assignee.reopened", ALICE, None),
        ("notify.supervisor.reopened", None, "maintenance"),
        ("notify.group.reopened", None, "maintenance"),
    }
    assert to(d, "assignee")[0].params["text"] == "Still dripping"
    # Alice accepts again and the round starts over.
    again = ok(decide(apply(t, d), Accept(), who(ALICE), NOW))
    assert again.status is C


def test_reopen_when_the_assignee_has_left() -> None:
    t = ticket(R, ALICE)
    # The department's fallback first, then a supervisor covering the ticket, then the manager.
    assert reopen_assignee(_settings(drop=(ALICE,), fallback=BOB), t) == BOB
    assert reopen_assignee(_settings(drop=(ALICE,)), t) == SUP
    alone = _settings(drop=(ALICE, SUP, SUP_ALL))
    assert reopen_assignee(alone, t) is None
    manager = alone.model_copy(
        update={"escalation": alone.escalation.model_copy(update={"manager": ADMIN})}
    )
    assert reopen_assignee(manager, t) == ADMIN
    # Dave only covers Emerald Lake: a Harbour View ticket that was his goes to a stand-in.
    assert reopen_assignee(SETTINGS, ticket(R, DAVE)) == SUP
    d = ok(
        decide(t, NotFixed("no", to=reopen_assignee(_settings(drop=(ALICE,)), t)), who(OWNER), NOW)
    )
    assert (d.assignee, d.assignee_changed) == (SUP, True)


def test_cancel_by_owner_notifies_the_assignee() -> None:
    d = ok(decide(ticket(C, ALICE), Cancel("Fixed it myself"), who(OWNER), NOW))
    assert d.status is K
    assert {(n.key, n.person, n.department) for n in d.notices} == {
        ("notify.assignee.cancelled", ALICE, None),
        ("notify.group.cancelled", None, "maintenance"),
    }
    assert to(d, "assignee")[0].params["reason"] == "Fixed it myself"
    assert to(d, "owner") == []  # the owner is answered directly


def test_transfer_to_a_department_by_a_supervisor() -> None:
    t = ticket(C, ALICE)
    d = ok(decide(t, Transfer("Pipe work", department="plumbing", to=ERIN), who(SUP), NOW))
    assert (d.status, d.assignee, d.department) == (A, ERIN, "plumbing")
    assert {(n.key, n.person, n.department) for n in d.notices} == {
        ("notify.assignee.transferred", ERIN, None),
        ("notify.previous_assignee.transferred", ALICE, None),
        ("notify.group.transferred_in", None, "plumbing"),
        ("notify.group.transferred_out", None, "maintenance"),
        ("notify.owner.transferred", OWNER, None),
    }
    assert d.event.data == {
        "from_department": "maintenance",
        "to_department": "plumbing",
        "from": ALICE,
        "to": ERIN,
        "reason": "Pipe work",
    }
    after = apply(t, d)
    assert after.department == "plumbing"
    # Erin must accept it; the maintenance supervisor no longer has a say over it.
    assert ok(decide(after, Accept(), who(ERIN), NOW)).status is C
    assert refused(decide(after, Reassign(BOB), who(SUP), NOW)).code == "other_department"


def test_transfer_by_the_assignee_does_not_message_themselves() -> None:
    d = ok(decide(ticket(C, ALICE), Transfer("Pipe work", "plumbing", ERIN), who(ALICE), NOW))
    assert to(d, "previous_assignee") == []  # Alice's pressed card is edited by the adapter
    assert [n.person for n in to(d, "assignee")] == [ERIN]


def test_transfer_to_a_department_with_nobody_on_duty_lands_on_its_group_card() -> None:
    d = ok(decide(ticket(A, ALICE), Transfer("Cleaning job", "cleaning"), who(ALICE), NOW))
    assert (d.status, d.assignee, d.department) == (A, None, "cleaning")
    assert to(d, "assignee") == []
    assert {n.department for n in to(d, "group")} == {"cleaning", "maintenance"}
    # Anyone in cleaning may take it now.
    assert ok(decide(apply(ticket(A, ALICE), d), Accept(via_group=True), who(CAROL), NOW))


def test_owner_message_without_assignee_goes_to_the_group() -> None:
    d = ok(decide(ticket(N), OwnerMessage("", photos=("f1", "f2")), who(OWNER), NOW))
    assert [(n.key, n.department) for n in d.notices] == [
        ("notify.group.owner_message", "maintenance")
    ]
    assert d.event.data == {"text": "", "photos": ["f1", "f2"]}


def test_resolve_tells_the_owner_with_note_and_photo() -> None:
    d = ok(decide(ticket(C, ALICE), Resolve("Replaced the seal", "ph"), who(ALICE), NOW))
    (owner,) = to(d, "owner")
    assert (owner.key, owner.person) == ("notify.owner.resolved", OWNER)
    assert owner.params == {
        "number": "HV-20250915-0001",
        "by": ALICE,
        "by_name": "Alice",
        "note": "Replaced the seal",
        "photo": "ph",
    }


def test_supervisor_note_reaches_the_assignee_but_not_the_owner() -> None:
    d = ok(decide(ticket(C, ALICE), AddNote("Bring a ladder"), who(SUP), NOW))
    assert [(n.key, n.person) for n in d.notices] == [("notify.assignee.note", ALICE)]
    own = ok(decide(ticket(C, ALICE), AddNote("Bring a ladder"), who(ALICE), NOW))
    assert own.notices == ()


# --- properties over every (status, assignee, action, actor) ----------------------------------

SAMPLE_ACTIONS: list[Action] = [
    Assign(BOB, "on_duty"),
    Accept(),
    Accept(via_group=True),
    StartWork(),
    AddNote("x"),
    AddNote(""),
    ReplyToOwner("hi"),
    ReplyToOwner(" "),
    OwnerMessage("more"),
    OwnerMessage(photos=("p",)),
    OwnerMessage(),
    Transfer("wrong team", "plumbing", ERIN),
    Transfer("busy", to=BOB),
    Transfer("x", "cleaning"),
    Transfer("", to=BOB),
    Transfer("x"),
    Resolve("fixed", "ph"),
    Resolve(""),
    ConfirmFixed(),
    NotFixed("still"),
    NotFixed("still", to=SUP),
    Cancel(),
    Cancel("changed my mind"),
    Escalate("accept", BOB),
    Escalate("accept"),
    Escalate("resolve", SUP),
    Escalate("resolve"),
    Reassign(BOB),
    Reassign(ALICE),
    Close("survey"),
    Close("no_answer"),
    Reopen("again"),
    Reopen(""),
]
# Pure messages are not idempotent by content; duplicate updates are the adapter's to drop.
MESSAGES = (AddNote, ReplyToOwner, OwnerMessage)
COMBOS = list(itertools.product(Status, (None, ALICE, BOB), SAMPLE_ACTIONS, ACTORS.values()))


def test_property_refusals_change_nothing_and_decisions_follow_the_diagram() -> None:
    decisions = refusals = 0
    for status, assignee, action, actor in COMBOS:
        t = ticket(status, assignee)
        snapshot = replace(t)
        result = decide(t, action, actor, NOW)
        assert t == snapshot
        assert decide(t, action, actor, NOW) == result  # deterministic
        if isinstance(result, Refusal):
            refusals += 1
            assert result.code in REFUSAL_CODES
            json.dumps(dict(result.params))
            continue
        decisions += 1
        where = (status, assignee, action, actor.telegram_id)
        assert result.status == status or result.status in DIAGRAM[status], where
        assert status not in (X, K), where  # closed and cancelled tickets are final
        assert result.event.ticket_id == t.id and result.event.at == NOW
        assert result.event.actor_id == actor.telegram_id
        assert result.event.kind in EVENT_KINDS
        json.dumps(result.event.data)
        for n in result.notices:
            assert n.key in NOTICE_KEYS and n.key.startswith(f"notify.{n.recipient}.")
            assert n.params["number"] == t.number
            json.dumps(dict(n.params))
            if n.recipient in ("group", "supervisor"):
                assert n.department is not None and n.person is None
            else:
                assert n.person is not None and n.person != actor.telegram_id
        # Authorization, stated from the outside.
        if isinstance(action, OWNER_ACTIONS):
            assert actor.telegram_id == OWNER, where
        elif isinstance(action, Escalate | Close):
            assert actor.role == "system", where
        elif isinstance(action, Assign | Reassign):
            assert actor.role in ("system", "supervisor", "admin"), where
        else:
            assert actor.role in ("staff", "supervisor", "admin"), where
            if actor.role == "staff" and not isinstance(action, Accept):
                assert actor.telegram_id == t.assignee_id, where
        # Applying the same action again is recognised and does nothing.
        if not isinstance(action, MESSAGES):
            again = decide(apply(t, result), action, actor, NOW, events=[result.event])
            assert isinstance(again, Refusal), (where, again)
    assert decisions > 200 and refusals > 2000


def test_property_every_notice_key_can_occur() -> None:
    seen: set[str] = set()
    for status, assignee, action, actor in COMBOS:
        result = decide(ticket(status, assignee), action, actor, NOW)
        if isinstance(result, Decision):
            seen |= {n.key for n in result.notices}
    assert seen == NOTICE_KEYS
