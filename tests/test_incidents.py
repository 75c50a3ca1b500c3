"""Known incidents: the pure model (scope, clashes, words) and the desk's use cases on both
backends (declare, update, link, subscribe, close; told once; a close finished after a crash)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.core.actions import Actor, actor_for
from bot.core.calendars import Calendars
from bot.core.incidents import Incident, Place, clash, covers, pick_scope, problem
from bot.core.models import Status
from bot.desk.context import DeskServices
from bot.desk.incidents import IncidentDesk, Refused
from bot.desk.tickets import TicketDesk
from bot.store import Storage, Store
from bot.store.postgres import PostgresStore
from bot.texts import default_catalog
from tests.harness import FakeClock
from tests.pg import pg_server, pg_url  # noqa: F401
from tests.test_store_contract import opened, pending

ROOT = Path(__file__).resolve().parent.parent
# Thursday 2026-11-26 14:10 in Shanghai.
NOW = datetime(2026, 11, 26, 6, 10, tzinfo=UTC)
SUPERVISOR = 6021834457  # 李工: maintenance supervisor, every estate
WANG = 7034518826  # maintenance staff, harbour_view only
LIU = 7129046613  # maintenance staff, emerald_lake only
CLEANER = 7250983476  # environment staff
GROUP = -1001234567890  # maintenance's staff group


def cut(**changes: Any) -> Incident:
    """停水 in 3栋 of harbour_view since NOW, back at 17:00."""
    fields: dict[str, Any] = {
        "estate": "harbour_view",
        "buildings": ("3",),
        "common_areas": True,
        "category": "water_power",
        "subcategory": None,
        "department": "",
        "texts": {"zh-Hans": "停水", "en": "no water"},
        "started_at": NOW,
        "eta": NOW + timedelta(hours=2, minutes=50),
        "declared_by": None,
    }
    return Incident(**{**fields, **changes})


# ----- the pure model -------------------------------------------------------------------------


def test_scope_covers_homes_and_common_areas() -> None:
    three = cut()
    assert covers(three, Place("harbour_view", "3"))
    assert not covers(three, Place("harbour_view", "5"))
    assert not covers(three, Place("emerald_lake", "3"))
    assert covers(three, Place("harbour_view", area="hv-3-lobby", area_building="3"))
    assert covers(three, Place("harbour_view", area="hv-gate"))  # estate-wide area
    assert not covers(three, Place("harbour_view", area="hv-5-lobby", area_building="5"))
    homes_only = cut(common_areas=False)
    assert not covers(homes_only, Place("harbour_view", area="hv-3-lobby", area_building="3"))
    estate = cut(buildings=())
    assert covers(estate, Place("harbour_view", "6"))
    assert covers(estate, Place("harbour_view", area="hv-garden"))


def test_empty_scope_past_eta_and_duplicates_are_named() -> None:
    assert pick_scope(False, [], True) is None
    assert pick_scope(True, [], False) == ((), True)
    assert pick_scope(False, ["3", "3", "5"], False) == (("3", "5"), False)
    known = ["1", "2", "3", "4", "5", "6"]
    assert problem(cut(), NOW, known, "zh-Hans") is None
    assert problem(cut(eta=NOW - timedelta(minutes=1)), NOW, known, "zh-Hans") == "eta_past"
    assert problem(cut(buildings=("9",)), NOW, known, "zh-Hans") == "unknown_building"
    assert problem(cut(texts={"en": "x"}), NOW, known, "zh-Hans") == "no_text"
    assert problem(cut(texts={"zh-Hans": "水" * 1001}), NOW, known, "zh-Hans") == "text_long"
    first = cut(id=1)
    assert clash(cut(buildings=("3", "4")), [first]) == first
    assert clash(cut(buildings=("5",), common_areas=False), [first]) is None
    assert clash(cut(category="lifts"), [first]) is None
    assert clash(cut(buildings=()), [first]) == first


# ----- the desk -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh store of each backend."""
    opened_store: Storage
    if request.param == "sqlite":
        opened_store = await Store.open(tmp_path / "desk.sqlite3")
    else:
        opened_store = await PostgresStore.open(request.getfixturevalue("pg_url"))
    try:
        yield opened_store
    finally:
        await opened_store.close()


def desk_on(store: Storage, tmp_path: Path, edit: dict[str, Any] | None = None) -> IncidentDesk:
    """The incident desk over ``store`` with the shipped config and a standing clock."""
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_PATH": str(tmp_path / "x.sqlite3")}
    settings = load_settings(ROOT / "config.yaml", env)
    if edit:
        settings = settings.model_copy(update=edit)
    services = DeskServices(
        settings=settings,
        store=store,
        catalog=default_catalog(),
        calendars=Calendars(settings, (2026, 2027)),
        clock=FakeClock(NOW),
    )
    return IncidentDesk(services, TicketDesk(services))


def who(desk: IncidentDesk, telegram_id: int) -> Actor:
    return actor_for(desk.services.settings, telegram_id)


async def test_declare_refuses_what_it_must_and_reads_as_people_say_it(
    store: Storage, tmp_path: Path
) -> None:
    desk = desk_on(store, tmp_path)
    assert await desk.declare(who(desk, LIU), cut()) == Refused("not_allowed")
    assert await desk.declare(who(desk, CLEANER), cut()) == Refused("not_allowed")
    assert await desk.declare(Actor(1, "owner"), cut()) == Refused("not_allowed")
    late = cut(eta=NOW - timedelta(hours=1))
    assert await desk.declare(who(desk, WANG), late) == Refused("eta_past")
    assert await store.open_incidents() == []
    declared = await desk.declare(who(desk, WANG), cut())
    assert isinstance(declared, Incident) and declared.department == "maintenance"
    assert declared.declared_by == WANG
    again = await desk.declare(who(desk, SUPERVISOR), cut(buildings=("3", "4")))
    assert again == Refused("duplicate", declared)
    assert desk.headline(declared, "zh-Hans") == "已知：3栋及公共区域 14:10 起停水，预计 17:00 恢复"
    assert (
        desk.headline(declared, "zh-Hant") == "已知：第3座及公用地方 14:10 起停水，預計 17:00 恢復"
    )
    assert "no water since 14:10" in desk.headline(declared, "en")
    told = await pending(store)
    assert [(m.chat_id, m.text.splitlines()[0]) for m in told] == [(GROUP, "📢 已登记事件 #1")]


async def test_subscribers_and_linked_owners_are_told_once_and_tickets_end_with_it(
    store: Storage, tmp_path: Path
) -> None:
    desk = desk_on(store, tmp_path)
    staff = who(desk, WANG)
    incident = await desk.declare(staff, cut())
    assert isinstance(incident, Incident)
    ticket = await opened(
        store, chat=4001, category="water_power", department="maintenance", building="3"
    )
    elsewhere = await opened(
        store, chat=4002, token="t2", category="water_power", department="maintenance"
    )  # building A: not in scope
    assert [t.id for t in await desk.candidates(staff, incident.id)] == [ticket.id]
    assert await desk.link(who(desk, LIU), incident.id, ticket.id) == Refused("not_allowed")
    assert await desk.link(staff, incident.id, elsewhere.id) == Refused("ticket_out_of_scope")
    assert await desk.link(staff, incident.id, ticket.id) == ticket
    assert await desk.link(staff, incident.id, ticket.id) == Refused("already_linked")
    assert await desk.candidates(staff, incident.id) == []
    assert await desk.subscribe(5001, incident.id) is True
    assert await desk.subscribe(5001, incident.id) is False
    assert await desk.subscribe(5002, incident.id) is True
    await pending(store)  # the group's and the linked owner's messages

    later = NOW + timedelta(hours=4)
    updated = await desk.update(staff, incident.id, incident.version, eta=later)
    assert isinstance(updated, Incident) and updated.eta == later
    stale = await desk.update(staff, incident.id, incident.version, note="x")
    assert isinstance(stale, Refused) and stale.code == "changed"
    told = await pending(store)
    assert sorted(m.chat_id for m in told) == [4001, 5001, 5002]
    assert all("18:10" in m.text for m in told)

    closed = await desk.close(staff, updated.id, updated.version, {"zh-Hans": "已恢复供水"})
    assert isinstance(closed, Incident) and closed.status == "closed"
    again = await desk.close(staff, updated.id, updated.version, {"zh-Hans": "again"})
    assert again == Refused("closed")
    told = await pending(store)
    clear = sorted(m.chat_id for m in told if m.ticket_id is None and m.chat_id > 0)
    assert clear == [5001, 5002]  # the linked ticket's owner reads it in the ticket's message
    ended = await store.get_ticket(ticket.id)
    assert ended is not None and ended.status is Status.RESOLVED
    assert ended.resolution_note and "已恢复供水" in ended.resolution_note
    assert (await store.surveys_pending(ticket.id))[0].status == "scheduled"
    kinds = [e.kind for e in await store.ticket_events(ticket.id)]
    assert kinds[-2:] == ["incident_linked", "resolved"]
    assert await store.unsettled_incidents() == []
    # Settling again (a restart) tells nobody twice and ends nothing twice.
    await desk.settle(closed)
    assert await pending(store) == []


async def test_without_surveys_linked_tickets_close_and_a_crashed_close_is_finished(
    store: Storage, tmp_path: Path
) -> None:
    settings_edit = {
        "incidents": load_settings(
            ROOT / "config.yaml", {"TELEGRAM_BOT_TOKEN": "1:x"}
        ).incidents.model_copy(update={"surveys": "none"})
    }
    desk = desk_on(store, tmp_path, settings_edit)
    staff = who(desk, SUPERVISOR)
    incident = await desk.declare(staff, cut(buildings=()))
    assert isinstance(incident, Incident)
    ticket = await opened(
        store, chat=4001, category="water_power", department="maintenance", estate="harbour_view"
    )
    assert await desk.link(staff, incident.id, ticket.id) == ticket
    assert await desk.subscribe(5001, incident.id)
    # The close commits, then the process dies before its follow-up ran.
    done = replace(incident, status="closed", closed_at=NOW, all_clear={"zh-Hans": "已恢复"})
    assert await store.close_incident(incident, done, [], NOW)
    await pending(store)
    assert await desk.resume() == 1
    told = await pending(store)
    assert sorted(m.chat_id for m in told if m.ticket_id is None) == [GROUP, 5001]
    ended = await store.get_ticket(ticket.id)
    assert ended is not None and ended.status is Status.CLOSED
    assert await store.surveys_pending(ticket.id) == []
    assert await desk.resume() == 0


async def test_a_note_on_an_incident_running_late_is_taken_a_past_eta_is_not(
    store: Storage, tmp_path: Path
) -> None:
    desk = desk_on(store, tmp_path)
    staff = who(desk, WANG)
    incident = await desk.declare(staff, cut())
    assert isinstance(incident, Incident)
    assert await desk.subscribe(5001, incident.id)
    clock = desk.services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(hours=4)  # the ETA (17:00) has passed
    await pending(store)
    late = await desk.update(staff, incident.id, incident.version, eta=NOW + timedelta(hours=1))
    assert late == Refused("eta_past")
    noted = await desk.update(staff, incident.id, incident.version, note="still on it")
    assert isinstance(noted, Incident) and noted.note == "still on it"
    assert noted.version == incident.version + 1
    assert [m.chat_id for m in await pending(store)] == [5001]
    empty = await desk.update(staff, incident.id, noted.version)
    assert empty == Refused("no_change")
    blank = await desk.close(staff, incident.id, noted.version, {"en": "only English"})
    assert blank == Refused("no_text")  # the default language's text is needed


async def test_per_subscriber_the_all_clear_asks_each_subscriber_once_tickets_just_close(
    store: Storage, tmp_path: Path
) -> None:
    shipped = load_settings(ROOT / "config.yaml", {"TELEGRAM_BOT_TOKEN": "1:x"}).incidents
    edit = {"incidents": shipped.model_copy(update={"surveys": "per_subscriber"})}
    desk = desk_on(store, tmp_path, edit)
    staff = who(desk, WANG)
    incident = await desk.declare(staff, cut())
    assert isinstance(incident, Incident)
    ticket = await opened(
        store, chat=4001, category="water_power", department="maintenance", building="3"
    )
    assert await desk.link(staff, incident.id, ticket.id) == ticket
    assert await desk.subscribe(5001, incident.id)
    assert not await desk.rate(5001, incident.id, 5)  # still open: nothing to rate
    closed = await desk.close(staff, incident.id, incident.version, {"zh-Hans": "已恢复"})
    assert isinstance(closed, Incident)
    told = [m for m in await pending(store) if m.chat_id == 5001]
    assert len(told) == 1
    assert [row[0][1] for row in told[0].buttons] == [
        f"incident.r{r}#{incident.id}" for r in (5, 4, 3, 2, 1)
    ]
    ended = await store.get_ticket(ticket.id)
    assert ended is not None and ended.status is Status.CLOSED
    assert await store.surveys_pending(ticket.id) == []
    assert not await desk.rate(5001, incident.id, 9)
    assert await desk.rate(5001, incident.id, 4)
    assert not await desk.rate(5001, incident.id, 1)
    assert not await desk.rate(4001, incident.id, 5)  # the linked owner subscribed to nothing
    assert await store.incident_ratings(incident.id) == [(5001, 4)]
