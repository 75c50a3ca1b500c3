"""``python -m bot copy-db``: an SQLite desk mid-life moves to PostgreSQL and reads back alike."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli_db import copy_db_main
from bot.core.models import Outgoing, Person, Status, TicketEvent
from bot.store import Storage, Store, SurveyChange
from bot.store.copy import TABLES, CopyError, copy_database
from bot.store.postgres import PostgresStore
from tests.pg import PgServer, pg_url  # noqa: F401  (the fixture; pg_server is in conftest)
from tests.test_store_contract import (
    DAY,
    GROUP,
    NOW,
    OWNER,
    STAFF,
    accepted,
    opened,
    routed_to,
    submit,
)
from tests.test_store_notices import NOTICE

ROOT = Path(__file__).resolve().parent.parent
NEIGHBOUR = OWNER + 1
LATE = NOW + timedelta(days=60)


async def _desk(path: Path) -> None:
    """An SQLite desk mid-life: a resolved ticket with its survey, cards, queued messages, a
    person with a language, a conversation half-way through a report, staff and run state."""
    store = await Store.open(path)
    try:
        await store.upsert_person(Person(OWNER, "Ann", "Lee", "ann", "zh-hans"), NOW)
        await store.set_language(OWNER, "en", NOW)
        await store.set_phone(OWNER, "+86 138 0000 0000", NOW)
        first = await opened(store, effects=routed_to(STAFF), owner_phone="+86 138 0000 0000")
        await store.import_units([("harbour_view", "A", "1203"), ("harbour_view", "A", "1204")])
        draft = {"flow": "intake", "token": "gone", "answers": {"description": "漏水 ✓"}}
        await store.stash_draft(NEIGHBOUR + 1, NEIGHBOUR + 1, draft, NOW)
        await store.save_card(first.id, STAFF, 555, "staff")
        after, event = accepted(first)
        assert await store.transition(first, after, event, [Outgoing(OWNER, "accepted")])
        before = replace(after, version=first.version + 1)
        at = NOW + timedelta(hours=2)
        done = replace(before, status=Status.RESOLVED, updated_at=at, resolution_note="washer")
        resolved = TicketEvent(first.id, at, "resolved", STAFF, {"note": "新垫圈 ✓"})
        survey = SurveyChange("new", NOW + timedelta(days=1), STAFF)
        assert await store.transition(before, done, resolved, [], survey=survey)
        second = await opened(store, chat=OWNER + 5)  # a second ticket of the day
        # A digest card in the department group lists both (the first one taken).
        await store.save_digest(GROUP, 77, [(first.id, False), (second.id, True)], [], NOW)
        state = {"flow": "intake", "token": "mid", "step": 3, "answers": {"unit": "12B ✓"}}
        await store.save_conversation(NEIGHBOUR, NEIGHBOUR, state, NOW)
        await store.set_available(STAFF, False, NOW)
        await store.mark_update_handled(4242, NOW)
        assert await store.claim_run("weekly", 7)
        # A notice sent to the owner's home, and a neighbour who turned notices off.
        await store.remember_home(OWNER, "harbour_view", "A", "1203", NOW)
        notice_id = await store.add_notice(NOTICE)
        assert await store.notice_status(notice_id, ("draft",), "active", NOW)
        await store.notice_fanout(notice_id, [Outgoing(OWNER, "停水 ✓")], NOW)
        await store.set_notices_off(NEIGHBOUR, True, NOW)
    finally:
        await store.close()


async def _snapshot(store: Storage) -> dict[str, Any]:
    """Everything the test compares, read through the store API."""
    first = await store.get_ticket_by_number(f"HV-{DAY}-0001")
    second = await store.get_ticket_by_number(f"HV-{DAY}-0002")
    assert first is not None and second is not None
    return {
        "ticket": first,
        "second": second,
        "events": await store.ticket_events(first.id),
        "person": await store.get_person(OWNER),
        "conversation": await store.get_conversation(NEIGHBOUR),
        "outbox": await store.due_outbox(LATE),
        "outbox_counts": await store.outbox_counts(),
        "surveys": await store.surveys_pending(first.id),
        "card": await store.ticket_of_message(STAFF, 555),
        "card_chats": await store.card_chats(first.id),
        "unavailable": await store.unavailable_staff(),
        "last_update": await store.last_handled_update(),
        "last_run": await store.last_run("weekly"),
        "homes": await store.owner_homes(OWNER),
        "units": await store.building_units("harbour_view", "A"),
        "notice": await store.get_notice(1),
        "notice_counts": await store.notice_counts(1),
        "notices_off": await store.notices_off(NEIGHBOUR),
        "digest": await store.latest_digest(GROUP),
        "digest_of": await store.digest_of(second.id, GROUP),
    }


async def test_an_sqlite_desk_mid_life_reads_back_the_same_on_postgresql(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    db = tmp_path / "desk.sqlite3"
    await _desk(db)
    source = await Store.open(db)
    try:
        want = await _snapshot(source)
    finally:
        await source.close()
    assert want["card"] == want["ticket"].id and want["surveys"] and want["outbox"]
    assert want["digest"] is not None and want["digest"] == want["digest_of"]
    seen: list[tuple[str, int, int]] = []

    counts = await copy_database(f"sqlite:///{db}", pg_url, lambda *p: seen.append(p))

    assert [t for t, _, _ in counts] == list(TABLES)
    assert all(mine == theirs for _, mine, theirs in counts)
    assert dict((t, n) for t, n, _ in counts)["ticket_events"] == len(want["events"]) + 1
    assert want["ticket"].owner_phone and want["homes"] and want["units"]
    assert dict((t, n) for t, n, _ in counts)["drafts"] == 1
    assert dict((t, n) for t, n, _ in counts)["notice_deliveries"] == 1
    assert want["notice"] is not None and want["notice_counts"].queued == 1
    assert want["notices_off"]
    assert ("tickets", 2, 2) in seen
    target = await PostgresStore.open(pg_url)
    try:
        assert await _snapshot(target) == want
        # The day's counter continues, and identities start past the copied ids.
        third = await submit(target, chat=OWNER + 9)
        assert third is not None and third.number == f"HV-{DAY}-0003"
        assert third.id > want["second"].id
        # A reused id would collide with a copied row: these inserts prove the ids moved on.
        await target.enqueue([Outgoing(OWNER, "later")], NOW)
        pending = want["outbox_counts"]["pending"]
        assert (await target.outbox_counts())["pending"] == pending + 1
        assert len(await target.ticket_events(third.id)) == 1
        assert await target.add_notice(NOTICE) == want["notice"].id + 1
    finally:
        await target.close()


async def _owner_tickets(url: str) -> int:
    store = await PostgresStore.open(url)
    try:
        return await store.count_owner_tickets(OWNER)
    finally:
        await store.close()


def test_a_target_already_in_use_is_refused_with_exit_5(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Not a coroutine: the command runs its own event loop, as it does from the shell.
    db = tmp_path / "desk.sqlite3"
    asyncio.run(_desk(db))
    assert copy_db_main(f"sqlite:///{db}", pg_url) == 0
    capsys.readouterr()
    assert copy_db_main(f"sqlite:///{db}", pg_url) == 5
    assert "not empty" in capsys.readouterr().err
    assert asyncio.run(_owner_tickets(pg_url)) == 1  # left as it was: one copy, not two


async def test_a_source_with_a_table_the_copier_does_not_know_is_refused(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    db = tmp_path / "desk.sqlite3"
    await _desk(db)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    with pytest.raises(CopyError, match="notes"):
        await copy_database(f"sqlite:///{db}", pg_url, lambda *p: None)


async def test_postgresql_copies_back_to_sqlite(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    db = tmp_path / "desk.sqlite3"
    await _desk(db)
    await copy_database(f"sqlite:///{db}", pg_url, lambda *p: None)
    back = tmp_path / "back.sqlite3"
    counts = await copy_database(pg_url, f"sqlite:///{back}", lambda *p: None)
    assert all(mine == theirs for _, mine, theirs in counts)
    stores = [await Store.open(db), await Store.open(back)]
    try:
        assert await _snapshot(stores[1]) == await _snapshot(stores[0])
    finally:
        for store in stores:
            await store.close()


def test_the_command_prints_counts_and_never_the_password(
    tmp_path: Path, pg_server: PgServer
) -> None:
    db = tmp_path / "desk.sqlite3"
    asyncio.run(_desk(db))
    # Every role but one is trusted, so the password is never checked: only shown (or not).
    target = pg_server.create_database().replace("postgres@", "postgres:Sw0rdf1sh@")
    command = [sys.executable, "-m", "bot", "copy-db", "--from", f"sqlite:///{db}", "--to", target]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Sw0rdf1sh" not in done.stdout + done.stderr
    assert "postgres:***@" in done.stdout
    assert "tickets: 2 rows" in done.stdout.splitlines()
    assert "tickets: 2/2" in done.stderr.splitlines()


async def test_nul_characters_an_older_sqlite_desk_holds_arrive_as_replacements(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    db = tmp_path / "desk.sqlite3"
    store = await Store.open(db)
    try:
        await opened(store, description="漏水\x00急")
        state = {"flow": "intake", "token": "t", "answers": {"description": "a\x00b"}}
        await store.save_conversation(OWNER, OWNER, state, NOW)
    finally:
        await store.close()
    counts = await copy_database(f"sqlite:///{db}", pg_url, lambda *p: None)
    assert all(mine == theirs for _, mine, theirs in counts)
    target = await PostgresStore.open(pg_url)
    try:
        ticket = await target.get_ticket_by_number(f"HV-{DAY}-0001")
        assert ticket is not None and ticket.description == "漏水\ufffd急"
        saved = await target.get_conversation(OWNER)
        assert saved is not None and saved["answers"]["description"] == "a\ufffdb"
    finally:
        await target.close()
