"""One contract for every storage backend: each test runs on SQLite and on PostgreSQL.

The contract is the docstrings of ``bot.store.interfaces``: what commits together, what happens
once, what a compare-and-set refuses. PostgreSQL runs on the throwaway server of ``tests.pg``
(skipped without its binaries, failed under CI=true).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.core.models import Outgoing, Person, Priority, Status, Ticket, TicketDraft, TicketEvent
from bot.store import Storage, Store, SurveyChange
from bot.store.errors import NotOurDatabase, SchemaTooNew, StorageUnavailable
from bot.store.interfaces import ConversationGone
from bot.store.postgres import MIGRATIONS as PG_MIGRATIONS
from bot.store.postgres import PostgresStore
from bot.store.reports import Scope
from tests.pg import PASSWORD_ROLE, PgServer, pg_server, pg_url  # noqa: F401

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
OWNER, STAFF, OTHER_STAFF, GROUP = 1001, 2001, 2002, -100_500
DAY = "20261127"

Effects = Callable[[Ticket], tuple[Ticket, Sequence[TicketEvent], Sequence[Outgoing]]]


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh, empty store of each backend."""
    opened: Storage
    if request.param == "sqlite":
        opened = await Store.open(tmp_path / "desk.sqlite3")
    else:
        opened = await PostgresStore.open(request.getfixturevalue("pg_url"))
    try:
        yield opened
    finally:
        await opened.close()


def draft(owner: int = OWNER, at: datetime = NOW, **changes: Any) -> TicketDraft:
    """A plumbing complaint opened at ``at`` (fields overridable)."""
    fields: dict[str, Any] = {
        "owner_id": owner,
        "kind": "repair",
        "category": "plumbing",
        "subcategory": None,
        "department": "engineering",
        "estate": "harbour_view",
        "building": "A",
        "unit": "1203",
        "area": None,
        "location_detail": None,
        "urgency": "normal",
        "description": "the kitchen tap drips — 水龙头漏水",
        "photos": ("photo-1",),
        "language": "en",
        "created_at": at,
        "accept_due": at + timedelta(hours=2),
        "resolve_due": at + timedelta(days=1),
    }
    return TicketDraft(**{**fields, **changes})


def no_effects(ticket: Ticket) -> tuple[Ticket, Sequence[TicketEvent], Sequence[Outgoing]]:
    """Effects that leave the new ticket unrouted and queue nothing."""
    return ticket, [], []


def routed_to(staff: int) -> Effects:
    """Effects that assign the new ticket to ``staff`` and send the staff a card."""

    def effects(ticket: Ticket) -> tuple[Ticket, Sequence[TicketEvent], Sequence[Outgoing]]:
        after = replace(ticket, status=Status.ASSIGNED, assignee_id=staff)
        event = TicketEvent(ticket.id, ticket.created_at, "assigned", None, {"to": staff})
        return after, [event], [Outgoing(staff, "card", card="staff", priority=Priority.ALERT)]

    return effects


async def submit(
    store: Storage,
    chat: int = OWNER,
    token: str = "tok",
    effects: Effects = no_effects,
    day: str = DAY,
    owner_phone: str | None = None,
    **changes: Any,
) -> Ticket | None:
    """Save an intake conversation for ``chat`` and submit it as a ticket."""
    await store.save_conversation(chat, chat, {"flow": "intake", "token": token}, NOW)
    return await store.create_ticket(
        draft(owner=chat, **changes),
        number_for=lambda n: f"HV-{day}-{n:04d}",
        chat_id=chat,
        token=token,
        effects=effects,
        day_key=day,
        owner_phone=owner_phone,
    )


async def opened(store: Storage, chat: int = OWNER, **kwargs: Any) -> Ticket:
    """A committed ticket."""
    ticket = await submit(store, chat, **kwargs)
    assert ticket is not None
    return ticket


def accepted(ticket: Ticket, by: int = STAFF) -> tuple[Ticket, TicketEvent]:
    """``ticket`` accepted by ``by`` an hour later, and the event saying so."""
    at = NOW + timedelta(hours=1)
    after = replace(ticket, status=Status.ACCEPTED, assignee_id=by, updated_at=at)
    return after, TicketEvent(ticket.id, at, "accepted", by)


async def pending(store: Storage) -> list[Outgoing]:
    """Every message due by the end of the year, heads first, as ``due_outbox`` sees them."""
    late = NOW + timedelta(days=60)
    out: list[Outgoing] = []
    while items := await store.due_outbox(late):
        for item in items:
            out.append(item.message)
            await store.outbox_sent(item.id, None, late)
    return out


# ----- update log, people, conversations ------------------------------------------------------


async def test_handled_updates_are_remembered_once(store: Storage) -> None:
    assert not await store.update_handled(7)
    assert await store.last_handled_update() == 0
    await asyncio.gather(*(store.mark_update_handled(7, NOW) for _ in range(5)))
    await store.mark_update_handled(5, NOW)
    assert await store.update_handled(7)
    assert await store.last_handled_update() == 7
    await store.mark_update_handled(2000, NOW, keep=10)  # a round id prunes the old ones
    assert not await store.update_handled(7)
    assert await store.update_handled(2000)


async def test_a_person_keeps_the_language_they_chose(store: Storage) -> None:
    ann = Person(OWNER, "Ann", "Lee", "ann", "zh-hans")
    assert await store.get_person(OWNER) is None
    assert await store.upsert_person(ann, NOW) == ann
    await store.set_language(OWNER, "en", NOW)
    await store.set_language(9999, "en", NOW)  # unknown: nothing happens
    renamed = await store.upsert_person(replace(ann, first_name="Annie"), NOW)
    assert renamed == replace(ann, first_name="Annie", language="en")
    assert await store.get_person(OWNER) == renamed
    assert await store.get_person(9999) is None


async def test_conversations_are_replaced_and_ended_by_token(store: Storage) -> None:
    state = {"flow": "intake", "token": "a", "answers": {"note": "三楼 ✓"}, "step": 2}
    await store.save_conversation(10, OWNER, state, NOW)
    assert await store.get_conversation(10) == state
    await store.save_conversation(10, OWNER, {**state, "token": "b"}, NOW)
    assert not await store.delete_conversation(10, "a")
    assert await store.delete_conversation(10, "b")
    assert await store.get_conversation(10) is None
    await store.save_conversation(10, OWNER, state, NOW)
    assert await store.delete_conversation(10)
    assert not await store.delete_conversation(10)


async def test_an_owner_is_remembered_phone_homes_and_drafts(store: Storage) -> None:
    await store.upsert_person(Person(OWNER, "Ann"), NOW)
    assert (await store.get_person(OWNER)) == Person(OWNER, "Ann")  # never asked
    await store.set_phone(OWNER, None, NOW)  # skipped: asked, no number
    assert (await store.get_person(OWNER)) == Person(OWNER, "Ann", phone_asked=True)
    await store.set_phone(OWNER, "+852 5555 0000", NOW)
    person = await store.get_person(OWNER)
    assert person is not None and (person.phone, person.phone_asked) == ("+852 5555 0000", True)
    # A ticket for a flat remembers it with the phone it was filed with; newest home first.
    ticket = await opened(store, owner_phone="+852 5555 0000")
    assert ticket.owner_phone == "+852 5555 0000"
    assert (await store.get_ticket(ticket.id)) == ticket
    await opened(store, day="20261128", building="B", unit="8F ✓")
    await opened(store, day="20261129", building=None, unit=None, area="gate")  # not a home
    later = NOW + timedelta(hours=1)
    await store.remember_home(OWNER, "harbour_view", "A", "1203", later)  # used again
    assert await store.owner_homes(OWNER) == [
        ("harbour_view", "A", "1203"),
        ("harbour_view", "B", "8F ✓"),
    ]
    assert await store.owner_homes(OWNER, limit=1) == [("harbour_view", "A", "1203")]
    assert await store.owner_homes(OWNER + 1) == []
    # The unit register: repeats ignored; a building without one has no units.
    units = [("harbour_view", "A", "1203"), ("harbour_view", "A", "1204")]
    assert await store.import_units([*units, units[0]]) == 2
    assert await store.import_units(units) == 0
    assert await store.building_units("harbour_view", "A") == {"1203", "1204"}
    assert await store.building_units("harbour_view", "B") == frozenset()
    # A cancelled draft is kept once per chat, and taken back only while it is fresh.
    state = {"flow": "intake", "token": "t", "answers": {"description": "漏水 ✓"}}
    await store.stash_draft(10, OWNER, state, NOW)
    await store.stash_draft(10, OWNER, {**state, "token": "u"}, NOW)
    assert await store.take_draft(10, NOW - timedelta(minutes=30)) == {**state, "token": "u"}
    assert await store.take_draft(10, NOW - timedelta(minutes=30)) is None  # taken
    await store.stash_draft(10, OWNER, state, NOW)
    assert await store.take_draft(10, NOW + timedelta(seconds=1)) is None  # too old
    assert await store.take_draft(10, NOW - timedelta(days=1)) is None  # and gone


# ----- tickets --------------------------------------------------------------------------------


async def test_a_ticket_commits_with_its_number_routing_events_and_card(store: Storage) -> None:
    ticket = await opened(store, effects=routed_to(STAFF))
    assert ticket.number == f"HV-{DAY}-0001"
    assert (ticket.status, ticket.assignee_id, ticket.version) == (Status.ASSIGNED, STAFF, 1)
    assert await store.get_ticket(ticket.id) == ticket
    assert await store.get_ticket_by_number(ticket.number) == ticket
    assert [e.kind for e in await store.ticket_events(ticket.id)] == ["created", "assigned"]
    assert await store.get_conversation(OWNER) is None
    [card] = await pending(store)
    assert (card.chat_id, card.ticket_id, card.card) == (STAFF, ticket.id, "staff")
    # Submitting the same conversation again (a double press) opens nothing.
    assert await store.create_ticket(
        draft(),
        number_for=str,
        chat_id=OWNER,
        token="tok",
        effects=routed_to(STAFF),
        day_key=DAY,
    ) is None  # fmt: skip
    assert await store.count_owner_tickets(OWNER) == 1
    assert (await opened(store, day="20261128")).number == "HV-20261128-0001"


async def test_parallel_submits_get_unique_consecutive_numbers(store: Storage) -> None:
    tickets = await asyncio.gather(*(submit(store, chat=OWNER + i) for i in range(20)))
    numbers = sorted(t.number for t in tickets if t is not None)
    assert numbers == [f"HV-{DAY}-{n:04d}" for n in range(1, 21)]


async def test_a_transition_is_a_compare_and_set_on_the_version(store: Storage) -> None:
    ticket = await opened(store, effects=routed_to(STAFF))
    after, event = accepted(ticket)
    survey = SurveyChange("new", NOW + timedelta(days=2), STAFF)
    message = Outgoing(OWNER, "accepted")
    assert await store.transition(ticket, after, event, [message], survey=survey)
    stored = await store.get_ticket(ticket.id)
    assert stored == replace(after, version=ticket.version + 1)
    # A writer holding the old version loses and writes nothing.
    assert not await store.transition(ticket, after, event, [message])
    assert len(await store.ticket_events(ticket.id)) == 3
    assert [m.text for m in await pending(store)] == ["card", "accepted"]
    [survey_row] = await store.surveys_pending(ticket.id)
    assert (survey_row.round, survey_row.status, survey_row.staff_id) == (1, "scheduled", STAFF)


async def test_two_simultaneous_claims_of_one_ticket_one_wins(store: Storage) -> None:
    ticket = await opened(store)
    at = NOW + timedelta(minutes=5)
    claims = [
        store.transition(
            ticket,
            replace(ticket, status=Status.ASSIGNED, assignee_id=who, updated_at=at),
            TicketEvent(ticket.id, at, "assigned", who, {"to": who}),
            [Outgoing(GROUP, "card", card="group")],
        )
        for who in (STAFF, OTHER_STAFF)
    ]
    won = await asyncio.gather(*claims)
    assert sorted(won) == [False, True]
    stored = await store.get_ticket(ticket.id)
    assert stored is not None and stored.assignee_id == (STAFF if won[0] else OTHER_STAFF)
    assert [e.kind for e in await store.ticket_events(ticket.id)] == ["created", "assigned"]
    assert len(await pending(store)) == 1


async def test_a_transition_ending_a_gone_conversation_writes_nothing(store: Storage) -> None:
    ticket = await opened(store)
    after, event = accepted(ticket)
    with pytest.raises(ConversationGone):
        await store.transition(ticket, after, event, [Outgoing(OWNER, "x")], (OWNER, "gone"))
    assert await store.get_ticket(ticket.id) == ticket
    assert await store.outbox_counts() == {}
    await store.save_conversation(OWNER, OWNER, {"flow": "reason", "token": "r"}, NOW)
    assert await store.transition(ticket, after, event, [], (OWNER, "r"))
    assert await store.get_conversation(OWNER) is None


async def test_ticket_reads(store: Storage) -> None:
    first = await opened(store, effects=routed_to(STAFF))
    second = await opened(store, effects=routed_to(STAFF), accept_due=NOW + timedelta(hours=1))
    third = await opened(store, chat=OWNER + 1, department="environment", estate="emerald_lake")
    assert [t.id for t in await store.owner_tickets(OWNER, 1)] == [second.id]
    assert [t.id for t in await store.owner_tickets(OWNER, 5, 1)] == [first.id]
    assert await store.count_owner_tickets(OWNER) == 2
    assert len(await store.owner_tickets_since(OWNER, NOW)) == 2
    assert await store.owner_tickets_since(OWNER, NOW + timedelta(seconds=1)) == []
    assert [t.id for t in await store.assigned_tickets(STAFF)] == [second.id, first.id]
    assert [t.id for t in await store.tickets_in_progress()] == [first.id, second.id, third.id]
    # At NOW only the unassigned one is "open"; past the accept deadlines all are.
    assert [t.id for t in await store.open_tickets(None, NOW)] == [third.id]
    late = NOW + timedelta(hours=3)
    assert len(await store.open_tickets(None, late)) == 3
    assert [t.id for t in await store.open_tickets({"engineering"}, late, limit=1)] == [first.id]
    assert await store.open_tickets(set(), late) == []
    assert [t.id for t in await store.open_tickets(None, late, estates={"emerald_lake"})] == [
        third.id
    ]
    assert await store.get_ticket(999) is None
    assert await store.get_ticket_by_number("nope") is None


async def test_staff_state(store: Storage) -> None:
    await opened(store, effects=routed_to(STAFF))
    await opened(store, effects=routed_to(OTHER_STAFF))
    await opened(store, effects=routed_to(STAFF))
    await store.set_available(STAFF, False, NOW)
    await store.set_available(OTHER_STAFF, False, NOW)
    await store.set_available(OTHER_STAFF, True, NOW)
    assert await store.unavailable_staff() == frozenset({STAFF})
    assert await store.open_load() == {STAFF: 2, OTHER_STAFF: 1}
    assert await store.recent_assignees() == [STAFF, OTHER_STAFF, STAFF]
    assert await store.recent_assignees(limit=1) == [STAFF]


# ----- outbox and cards -----------------------------------------------------------------------


async def test_outbox_order_retries_and_failures(store: Storage) -> None:
    ticket = await opened(store)
    later = NOW + timedelta(minutes=10)
    await store.enqueue(
        [
            Outgoing(1, "notice"),
            Outgoing(1, "reply", priority=Priority.REPLY),
            Outgoing(2, "later", not_before=later),
            Outgoing(3, "doomed", ticket_id=ticket.id),
        ],
        NOW,
    )
    heads = await store.due_outbox(NOW)
    assert [i.message.text for i in heads] == ["reply", "doomed"]
    assert (await store.due_outbox_of_chat(2, NOW)) is None
    item = await store.due_outbox_of_chat(2, later)
    assert item is not None and item.message.text == "later"
    reply = heads[0]
    await store.outbox_retry(reply.id, NOW + timedelta(minutes=1), "429")
    assert [i.message.text for i in await store.due_outbox(NOW)] == ["doomed"]  # waits its turn
    retried = await store.due_outbox_of_chat(1, NOW + timedelta(minutes=1))
    assert retried is not None and (retried.id, retried.attempts) == (reply.id, 1)
    await store.outbox_sent(reply.id, 555, NOW)
    await store.outbox_failed(heads[1].id, "Forbidden: bot was blocked", NOW)
    assert await store.outbox_counts() == {"pending": 2, "sent": 1, "failed": 1}
    failure = (await store.ticket_events(ticket.id))[-1]
    assert (failure.kind, failure.data["chat_id"]) == ("delivery_failed", 3)


async def test_card_refreshes_and_collapsed_messages_fold(store: Storage) -> None:
    ticket = await opened(store)
    card = Outgoing(STAFF, "card", ticket_id=ticket.id, card="staff")
    await asyncio.gather(*(store.enqueue([card], NOW) for _ in range(5)))
    count = Outgoing(OWNER, "1 new", ticket_id=ticket.id, not_before=NOW + timedelta(minutes=1))
    await store.enqueue([replace(count, collapse="relay")], NOW)
    await store.enqueue([replace(count, text="2 new", collapse="relay")], NOW)
    assert sorted(m.text for m in await pending(store)) == ["2 new", "card"]


async def test_cards_are_found_by_ticket_and_by_message(store: Storage) -> None:
    ticket = await opened(store)
    await store.save_card(ticket.id, GROUP, 11, "group")
    await store.save_card(ticket.id, STAFF, 12, "staff")
    await store.save_card(ticket.id, GROUP, 13, "group")  # replaced: keeps its place
    assert await store.card_chats(ticket.id) == [(GROUP, "group"), (STAFF, "staff")]
    assert await store.card_message(ticket.id, GROUP) == 13
    assert await store.card_message(ticket.id, OWNER) is None
    assert await store.ticket_of_message(STAFF, 12) == ticket.id
    await store.enqueue([Outgoing(OWNER, "update", ticket_id=ticket.id)], NOW)
    [item] = await store.due_outbox(NOW)
    await store.outbox_sent(item.id, 77, NOW)
    assert await store.ticket_of_message(OWNER, 77) == ticket.id
    assert await store.ticket_of_message(OWNER, 78) is None


async def test_a_digest_keeps_its_lines_and_absorbs_the_cards_it_shows(store: Storage) -> None:
    """Digest cards (bot.core.digest): lines in order, open or not, found by ticket and chat;
    the new tickets' group cards still waiting, and the ones a digest absorbed marked sent."""
    a, b, c = [await opened(store, chat) for chat in (OWNER, OWNER + 1, OWNER + 2)]
    assert await store.latest_digest(GROUP) is None
    cards = [Outgoing(GROUP, "", ticket_id=t.id, card="group") for t in (a, b, c)]
    await store.enqueue(
        [*cards, Outgoing(GROUP, "a notice"), Outgoing(STAFF, "", ticket_id=a.id, card="staff")],
        NOW,
    )
    await store.save_card(c.id, GROUP, 5, "group")  # c has a card of its own already
    waiting = await store.waiting_group_cards(GROUP, NOW, 10)
    assert [t for _, t in waiting] == [a.id, b.id]
    assert await store.waiting_group_cards(GROUP, NOW, 1) == waiting[:1]
    assert await store.waiting_group_cards(GROUP, NOW - timedelta(seconds=1), 10) == []
    # a's and b's cards go on digest message 40 (a's row is the one being delivered).
    await store.save_digest(GROUP, 40, [(a.id, True), (b.id, True)], [waiting[1][0]], NOW)
    assert await store.waiting_group_cards(GROUP, NOW, 10) == []  # b's: sent; a's: on it
    digest = await store.digest_of(b.id, GROUP)
    assert digest is not None and digest.message_id == 40
    assert digest.ticket_ids == [a.id, b.id] and all(line.open for line in digest.lines)
    assert digest.last_added == NOW
    assert await store.digest_of(b.id, GROUP - 1) is None
    assert await store.digest_chats(a.id) == [GROUP]
    assert await store.pending_card_rows(GROUP, [a.id, b.id]) == [waiting[0][0]]
    assert await store.pending_card_rows(GROUP, []) == []
    # a is taken: its line closes (keeping its stamp), c joins later.
    later = NOW + timedelta(minutes=1)
    await store.save_digest(GROUP, 40, [(a.id, False), (b.id, True), (c.id, True)], [], later)
    latest = await store.latest_digest(GROUP)
    assert latest is not None and latest.ticket_ids == [a.id, b.id, c.id]
    assert [line.open for line in latest.lines] == [False, True, True]
    assert [line.added_at for line in latest.lines] == [NOW, NOW, later]
    assert await store.digest_of(a.id, GROUP) is None and await store.digest_chats(a.id) == []
    await store.save_digest(GROUP, 41, [(c.id, True)], [], later)
    newest = await store.latest_digest(GROUP)
    assert newest is not None and newest.message_id == 41
    await store.drop_digest(GROUP, 41)
    after_drop = await store.latest_digest(GROUP)
    assert after_drop is not None and after_drop.message_id == 40
    texts = sorted(m.text for m in await pending(store))
    assert texts == ["", "", "", "a notice"]  # a's and c's group cards, a's staff card: not b's


async def test_a_card_that_is_no_tickets_card_is_found_where_it_was_delivered(
    store: Storage,
) -> None:
    ticket = await opened(store)
    first = Outgoing(STAFF, "", card="followup:7")
    await store.enqueue([first, Outgoing(STAFF, "note", ticket_id=ticket.id)], NOW)
    assert await store.sent_card(STAFF, "followup:7") is None  # not delivered yet
    items = await store.due_outbox(NOW)
    for n, item in enumerate(items):
        await store.outbox_sent(item.id, 90 + n, NOW)
    await store.enqueue([Outgoing(STAFF, "", card="followup:7")], NOW)  # a refresh: an edit
    [refresh] = await store.due_outbox(NOW)
    await store.outbox_sent(refresh.id, 90, NOW)
    assert await store.sent_card(STAFF, "followup:7") == 90
    assert await store.sent_card(STAFF, "followup:8") is None
    assert await store.sent_card(OWNER, "followup:7") is None
    assert await store.card_of_message(STAFF, 90) == "followup:7"
    assert await store.card_of_message(STAFF, 91) is None  # a plain message
    assert await store.card_of_message(OWNER, 90) is None


# ----- surveys and reports --------------------------------------------------------------------


async def resolved_with_survey(store: Storage) -> tuple[Ticket, int]:
    """A ticket resolved by STAFF with its first survey scheduled; returns it and the survey."""
    ticket = await opened(store, effects=routed_to(STAFF))
    after, event = accepted(ticket)
    assert await store.transition(ticket, after, event, [])
    at = NOW + timedelta(hours=2)
    before = replace(after, version=ticket.version + 1)
    done = replace(before, status=Status.RESOLVED, updated_at=at, resolution_note="new washer")
    survey = SurveyChange("new", NOW + timedelta(days=1), STAFF)
    resolved = TicketEvent(ticket.id, at, "resolved", STAFF)
    assert await store.transition(before, done, resolved, [], survey=survey)
    [row] = await store.surveys_pending(ticket.id)
    return replace(done, version=before.version + 1), row.id


async def test_events_in_progress_holds_only_open_tickets_timelines(store: Storage) -> None:
    done, _ = await resolved_with_survey(store)
    waiting = await opened(store, effects=routed_to(STAFF))
    taken = await opened(store, chat=OWNER + 1, effects=routed_to(STAFF))
    after, event = accepted(taken)
    assert await store.transition(taken, after, event, [])
    timelines = await store.events_in_progress(done.id, taken.id)
    assert done.id not in timelines
    assert set(timelines) == {waiting.id, taken.id}
    assert set(await store.events_in_progress(waiting.id + 1, taken.id)) == {taken.id}
    for ticket_id, events in timelines.items():
        assert events == await store.ticket_events(ticket_id)
    assert [e.kind for e in timelines[taken.id]][-1] == "accepted"
    assert await store.versions_in_progress() == {
        waiting.id: waiting.version,
        taken.id: taken.version + 1,
    }


async def test_a_survey_moves_on_once_per_step(store: Storage) -> None:
    ticket, survey_id = await resolved_with_survey(store)
    sooner = SurveyChange("sooner", NOW + timedelta(hours=5))
    closed = replace(ticket, status=Status.CLOSED)
    confirm = TicketEvent(ticket.id, NOW + timedelta(hours=3), "closed", OWNER)
    assert await store.transition(ticket, closed, confirm, [], survey=sooner)
    survey = await store.get_survey(survey_id)
    assert survey is not None and survey.due_at == NOW + timedelta(hours=5)
    ask = [Outgoing(OWNER, "how did we do?")]
    marks = [
        store.survey_mark(survey_id, expect="scheduled", status="sent", column="sent_at", now=NOW)
        for _ in range(2)
    ]
    assert sorted(await asyncio.gather(*marks)) == [False, True]
    assert not await store.survey_mark(
        survey_id, expect="scheduled", status="sent", column="sent_at", now=NOW, messages=ask
    )
    assert await store.survey_mark(
        survey_id, expect="sent", status="sent", column="reminded_at", now=NOW, messages=ask
    )
    assert [m.text for m in await pending(store)] == ["card", "how did we do?"]
    assert await store.survey_rate(survey_id, 2, NOW)
    assert not await store.survey_rate(survey_id, 5, NOW)
    await store.survey_details(survey_id, ["slow"], "took long", None)
    assert await store.followup_open(survey_id, NOW + timedelta(days=1))
    assert not await store.followup_open(survey_id, NOW)
    assert [s.id for s in await store.surveys_pending()] == [survey_id]
    assert await store.followup_close(survey_id, "done")
    assert not await store.followup_close(survey_id, "done")
    survey = await store.get_survey(survey_id)
    assert survey is not None
    assert (survey.status, survey.rating, survey.problems, survey.comment) == (
        "answered",
        2,
        ("slow",),
        "took long",
    )
    assert (survey.sent_at, survey.reminded_at, survey.followup_status) == (NOW, NOW, "done")
    assert await store.surveys_pending() == []
    assert await store.get_survey(999) is None


async def test_report_reads_give_the_same_facts(store: Storage) -> None:
    ticket, survey_id = await resolved_with_survey(store)
    other = await opened(store, chat=OWNER + 1, department="environment")
    late = NOW + timedelta(hours=3)
    escalated = TicketEvent(other.id, late, "escalated", None, {"stage": "accept", "from": STAFF})
    assert await store.transition(other, replace(other, overdue=True), escalated, [])
    assert await store.survey_mark(
        survey_id, expect="scheduled", status="sent", column="sent_at", now=NOW
    )
    start, end = NOW - timedelta(hours=1), NOW + timedelta(days=1)
    facts = {f.id: f for f in await store.ticket_facts(start, end, end)}
    fact = facts[ticket.id]
    assert (fact.number, fact.status, fact.assignee_id) == (ticket.number, "resolved", STAFF)
    assert (fact.accepted_at, fact.accepted_by) == (NOW + timedelta(hours=1), STAFF)
    assert (fact.resolved_at, fact.resolved_by) == (NOW + timedelta(hours=2), STAFF)
    assert not fact.accept_escalated and not fact.resolve_escalated
    env = Scope(departments=frozenset({"environment"}))
    [other_fact] = await store.ticket_facts(start, end, end, env)
    assert (other_fact.id, other_fact.accept_escalated) == (other.id, True)
    assert not other_fact.resolve_escalated and other_fact.accepted_at is None
    events = await store.period_events(start, end)
    assert sorted((e.kind, e.actor_id or 0, e.from_id or 0) for e in events) == [
        ("escalated", 0, STAFF),
        ("resolved", STAFF, 0),
    ]
    assert [e.ticket_id for e in await store.period_events(start, end, env)] == [other.id]
    [sent] = await store.surveys_sent(start, end)
    assert (sent.ticket_id, sent.staff_id, sent.sent_at, sent.answered) == (
        ticket.id,
        STAFF,
        NOW,
        False,
    )
    places = await store.place_tickets(start, end)
    assert sorted(p.number for p in places) == [f"HV-{DAY}-0001", f"HV-{DAY}-0002"]
    chunks = [c async for c in store.export_chunks(start, end, size=1)]
    assert [len(c.tickets) for c in chunks] == [1, 1]
    first = chunks[0]
    assert first.tickets[0]["number"] == ticket.number
    assert first.tickets[0]["created_at"] == "2026-11-27T08:00:00.000000+00:00"
    assert [e["kind"] for e in first.events] == ["created", "assigned", "accepted", "resolved"]
    assert [(s["round"], s["status"]) for s in first.surveys] == [(1, "sent")]


async def test_a_report_run_is_claimed_once(store: Storage) -> None:
    assert await store.last_run("weekly") is None
    won = await asyncio.gather(*(store.claim_run("weekly", 202648) for _ in range(4)))
    assert sorted(won) == [False, False, False, True]
    assert not await store.claim_run("weekly", 202647)
    assert await store.claim_run("weekly", 202649)
    assert await store.last_run("weekly") == 202649


# ----- cancellation ---------------------------------------------------------------------------


def cancel_points() -> Iterator[tuple[int, float]]:
    """When to cancel: after every count of loop turns, then after growing real pauses (on a
    loaded machine SQLite's thread needs time, not turns, to finish a write)."""
    for turns in range(200):
        yield turns, 0.0
    pause = 0.001
    while pause < 10:
        yield 200, pause
        pause *= 2


async def cancelled_after(work: Awaitable[Any], yields: int, pause: float = 0.0) -> bool:
    """Run ``work``, cancel it after ``yields`` turns of the loop and ``pause`` seconds; True if
    it had finished."""
    task = asyncio.ensure_future(work)
    for _ in range(yields):
        await asyncio.sleep(0)
    if pause:
        await asyncio.sleep(pause)
    finished = task.done()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return finished


async def test_a_cancelled_ticket_submit_leaves_all_or_nothing(store: Storage) -> None:
    """Cancelled at every await (more turns each round, until it finishes first): the ticket,
    its events, its card and its number are all there or none is, and the store still works."""
    committed = 0
    for attempt, (yields, pause) in enumerate(cancel_points()):
        chat = OWNER + attempt
        await store.save_conversation(chat, chat, {"flow": "intake", "token": "tok"}, NOW)
        work = store.create_ticket(
            draft(owner=chat),
            number_for=lambda n: f"HV-{DAY}-{n:04d}",
            chat_id=chat,
            token="tok",
            effects=routed_to(STAFF),
            day_key=DAY,
        )
        finished = await cancelled_after(work, yields, pause)
        tickets = await asyncio.wait_for(store.owner_tickets(chat, 5), 5)
        if tickets:
            committed += 1
            [ticket] = tickets
            assert ticket.number == f"HV-{DAY}-{committed:04d}"
            assert len(await store.ticket_events(ticket.id)) == 2
            assert await store.get_conversation(chat) is None
        else:
            assert await store.get_conversation(chat) is not None
        assert (await store.outbox_counts()).get("pending", 0) == committed
        if finished:
            break
    else:
        pytest.fail("the submit never finished")
    last = await opened(store, chat=1)  # numbering went on without a gap
    assert last.number == f"HV-{DAY}-{committed + 1:04d}"


async def test_a_cancelled_transition_leaves_all_or_nothing(store: Storage) -> None:
    ticket = await opened(store)
    for yields, pause in cancel_points():
        after, event = accepted(ticket)
        survey = SurveyChange("new", NOW + timedelta(days=1), STAFF)
        work = store.transition(ticket, after, event, [Outgoing(OWNER, "ok")], survey=survey)
        finished = await cancelled_after(work, yields, pause)
        stored = await asyncio.wait_for(store.get_ticket(ticket.id), 5)
        assert stored is not None
        written = stored.version != ticket.version
        assert len(await store.ticket_events(ticket.id)) == 1 + written
        assert len(await store.surveys_pending(ticket.id)) == written
        assert (await store.outbox_counts()).get("pending", 0) == written
        if written:
            break
        assert not finished
    else:
        pytest.fail("the transition never finished")
    await store.mark_update_handled(1, NOW)  # and the store still writes
    assert await store.update_handled(1)


# ----- opening, schema, instance lock ---------------------------------------------------------


async def test_a_newer_sqlite_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    await (await Store.open(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaTooNew):
        await Store.open(path)


async def test_a_newer_postgres_schema_is_refused(pg_url: str) -> None:  # noqa: F811
    pg = await PostgresStore.open(pg_url)
    assert await pg.schema_version() == len(PG_MIGRATIONS) == len(PostgresStore.MIGRATIONS)
    await pg.close()
    server = await asyncpg.connect(pg_url)
    await server.execute("UPDATE estatedesk_schema SET version = 99")
    await server.close()
    with pytest.raises(SchemaTooNew) as refused:
        await PostgresStore.open(pg_url)
    assert (refused.value.found, refused.value.known) == (99, len(PG_MIGRATIONS))


async def test_a_foreign_database_is_left_alone(pg_url: str) -> None:  # noqa: F811
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE invoices (id int)")
        with pytest.raises(NotOurDatabase, match="invoices"):
            await PostgresStore.open(pg_url)
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert [r[0] for r in tables] == ["invoices"]
    finally:
        await conn.close()


async def test_unreachable_or_refused_servers_are_named_without_the_password(
    pg_server: PgServer,  # noqa: F811
) -> None:
    secret = "s3cret-horse"
    pg_server.psql(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD 'right-horse'")
    wrong = f"postgresql://{PASSWORD_ROLE}:{secret}@127.0.0.1:{pg_server.port}/postgres"
    with pytest.raises(StorageUnavailable) as refused:
        await PostgresStore.open(wrong)
    assert "password authentication failed" in str(refused.value)
    assert (refused.value.host, refused.value.port) == ("127.0.0.1", pg_server.port)
    closed = socket_nobody_listens_on()
    with pytest.raises(StorageUnavailable) as unreachable:
        await PostgresStore.open(f"postgresql://postgres:{secret}@127.0.0.1:{closed}/x")
    assert f"127.0.0.1:{closed}" in str(unreachable.value)
    for error in (refused.value, unreachable.value):
        assert secret not in str(error) and secret not in repr(error.args)
        assert error.__cause__ is None and error.__suppress_context__


def socket_nobody_listens_on() -> int:
    """A port that refuses connections."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_one_bot_per_database_and_parallel_opens_migrate_once(
    pg_url: str,  # noqa: F811
) -> None:
    first, second = await asyncio.gather(PostgresStore.open(pg_url), PostgresStore.open(pg_url))
    try:
        assert await first.hold_instance_lock()
        assert await first.hold_instance_lock()  # held already: still ours
        assert not await second.hold_instance_lock()
        await first.close()
        assert await second.hold_instance_lock()
        assert await second.schema_version() == len(PG_MIGRATIONS)
    finally:
        await second.close()


# ----- the web dashboard ----------------------------------------------------------------------


async def test_board_columns_filters_search_and_paging(store: Storage) -> None:
    from bot.store.dashboard import BoardQuery

    new = await opened(store, chat=OWNER + 1, estate="emerald_lake", description="Lift stuck")
    assigned = await opened(store, effects=routed_to(STAFF), accept_due=NOW + timedelta(hours=1))
    taken = await opened(store, effects=routed_to(STAFF), urgency="urgent")
    after, event = accepted(taken)
    assert await store.transition(taken, after, event, [])
    started = replace(after, version=after.version + 1)  # as stored
    on_it = TicketEvent(taken.id, NOW + timedelta(hours=2), "started", STAFF)
    assert await store.transition(started, started, on_it, [])
    started = replace(started, version=started.version + 1)

    async def ids(**query: Any) -> list[int]:
        page = await store.board_tickets(BoardQuery(**query), NOW)
        assert page.total >= len(page.tickets)
        return [t.id for t in page.tickets]

    assert await ids(column="new") == [new.id]
    assert await ids(column="assigned") == [assigned.id]
    assert await ids(column="in_progress") == [taken.id]
    assert await ids(column="accepted") == []
    assert await ids(column="waiting") == []
    assert await ids(statuses=frozenset({"new", "assigned"})) == [assigned.id, new.id]
    assert await ids(estates=frozenset({"emerald_lake"})) == [new.id]
    assert await ids(departments=frozenset()) == []
    assert await ids(urgencies=frozenset({"urgent"})) == [taken.id]
    assert await ids(assignee=STAFF) == [assigned.id, taken.id]
    assert await ids(unassigned=True) == [new.id]
    assert await ids(number=new.number) == [new.id]
    assert await ids(text="LIFT") == [new.id]
    assert await ids(text="100%_") == []  # wildcards are literal
    second = await store.board_tickets(BoardQuery(text="水龙头", limit=1, offset=1), NOW)
    assert second.total == 2 and [t.id for t in second.tickets] == [taken.id]
    # Past the accept deadlines the new and the assigned ones are overdue, the accepted one not.
    late = await store.board_tickets(BoardQuery(overdue=True), NOW + timedelta(hours=3))
    assert sorted(t.id for t in late.tickets) == sorted([new.id, assigned.id])
    first = await store.board_tickets(BoardQuery(limit=2), NOW)
    rest = await store.board_tickets(BoardQuery(limit=2, offset=2), NOW)
    assert first.total == rest.total == 3 and len(first.tickets) == 2 and len(rest.tickets) == 1
    # Waiting for the owner is its own column.
    paused = replace(started, version=started.version + 1, paused_at=NOW + timedelta(hours=3))
    wait = TicketEvent(taken.id, NOW + timedelta(hours=3), "paused", STAFF)
    assert await store.transition(started, paused, wait, [])
    assert await ids(column="waiting") == [taken.id]
    assert await ids(column="in_progress") == []
    # Back in hand and accepted afresh (a transfer, a reopening): not started yet.
    again = replace(paused, paused_at=None)  # ``paused`` carries the stored version
    taken_again = TicketEvent(taken.id, NOW + timedelta(hours=4), "accepted", OTHER_STAFF)
    assert await store.transition(paused, again, taken_again, [])
    assert await ids(column="accepted") == [taken.id]


async def test_login_links_work_once_and_sessions_end_when_idle(store: Storage) -> None:
    later = NOW + timedelta(minutes=10)
    await store.add_login("h1", STAFF, NOW, later)
    await store.add_login("h2", STAFF, NOW, later)
    results = await asyncio.gather(*(store.use_login("h1", NOW) for _ in range(5)))
    assert sorted(r[0] for r in results) == ["ok", "used", "used", "used", "used"]
    assert ("ok", STAFF) in results
    assert await store.use_login("h2", later) == ("expired", None)
    assert await store.use_login("nope", NOW) == ("unknown", None)
    await store.add_session("s1", STAFF, "csrf-1", NOW)
    session = await store.touch_session("s1", NOW + timedelta(hours=1), NOW)
    assert session is not None and (session.telegram_id, session.csrf) == (STAFF, "csrf-1")
    # Seen at 1 h; idle since before 2 h means it is gone, and stays gone.
    gone = NOW + timedelta(hours=3)
    assert await store.touch_session("s1", gone, NOW + timedelta(hours=2)) is None
    assert await store.touch_session("s1", gone, NOW) is None
    await store.add_session("s2", STAFF, "csrf-2", NOW)
    await store.end_session("s2")
    assert await store.touch_session("s2", NOW, NOW) is None
