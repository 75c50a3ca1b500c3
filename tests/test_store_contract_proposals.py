"""The incident proposals' part of the storage contract (``ProposalStore``), on SQLite and on
PostgreSQL: one live proposal per cluster (also when two replicas propose at once), its
reports, the decision by compare-and-set, and the messages committed with each change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.incident_proposals import Cluster, Proposal, cluster_of
from bot.core.models import Outgoing, Ticket
from bot.store import Storage, Store
from bot.store.postgres import PostgresStore
from tests.pg import pg_server, pg_url  # noqa: F401
from tests.test_store_contract import NOW, opened, pending

WINDOW = timedelta(minutes=30)
SUPERVISOR = 3001


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh, empty store of each backend (as in tests/test_store_contract.py)."""
    opened_store: Storage
    if request.param == "sqlite":
        opened_store = await Store.open(tmp_path / "desk.sqlite3")
    else:
        opened_store = await PostgresStore.open(request.getfixturevalue("pg_url"))
    try:
        yield opened_store
    finally:
        await opened_store.close()


async def reports(store: Storage, count: int, start: int = 0, **changes: object) -> list[Ticket]:
    """``count`` "no water" reports from building A, a minute apart from NOW + ``start``."""
    out = []
    for n in range(count):
        at = NOW + timedelta(minutes=start + n)
        out.append(
            await opened(
                store,
                chat=5000 + start + n,
                token=f"t{start + n}",
                day=f"2026112{start + n}",
                at=at,
                subcategory="no_water",
                **changes,
            )
        )
    return out


def cards(proposal: Proposal) -> list[Outgoing]:
    """The supervisor's card, queued with the change."""
    return [Outgoing(SUPERVISOR, "", card=f"proposal:{proposal.id}")]


def a_draft(cluster: Cluster, now: timedelta = timedelta(0)) -> Proposal:
    at = NOW + now
    return Proposal(cluster, "engineering", at, at, at + WINDOW)


async def test_one_live_proposal_per_cluster_grows_with_new_reports(store: Storage) -> None:
    tickets = await reports(store, 6)
    cluster = cluster_of(tickets[0])
    assert cluster is not None and cluster.building == "A"
    since = NOW - timedelta(minutes=1)
    ids = await store.cluster_reports(cluster, since)
    assert ids == [t.id for t in tickets]
    # Another subcategory, another building, an area: other clusters.
    other = await opened(store, chat=6001, token="o1", day="20261130", subcategory="leak")
    elsewhere = await opened(store, chat=6002, token="o2", day="20261131", building="B")
    assert other.id not in await store.cluster_reports(cluster, since)
    assert elsewhere.id not in await store.cluster_reports(cluster, since)
    assert await store.cluster_reports(cluster, NOW + timedelta(minutes=3)) == ids[3:]

    first = await store.propose(a_draft(cluster), ids[:5], NOW, cards)
    assert first.id and first.is_open and first.tickets == tuple(ids[:5])
    assert first.cluster == cluster and first.department == "engineering"
    # The same reports again (a repeat): nothing changes, nothing is queued twice.
    again = await store.propose(a_draft(cluster), ids[:5], NOW, cards)
    assert again.id == first.id and again.version == first.version
    # A sixth report: the same proposal takes it and its card is refreshed.
    later = timedelta(minutes=5)
    grown = await store.propose(a_draft(cluster, later), ids, NOW + later, cards)
    assert grown.id == first.id and grown.tickets == tuple(ids)
    assert grown.last_at == NOW + later and grown.expires_at == NOW + later + WINDOW
    assert grown.version == first.version + 1
    sent = [m for m in await pending(store) if m.card]
    assert [m.card for m in sent] == [f"proposal:{first.id}"] * 2
    assert await store.get_proposal(first.id) == grown
    assert await store.get_proposal(first.id + 100) is None
    assert [p.id for p in await store.proposals_between(NOW, NOW + timedelta(hours=1))] == [
        first.id
    ]
    assert await store.proposals_between(NOW + timedelta(hours=1), NOW + timedelta(hours=2)) == []


async def test_two_replicas_proposing_at_once_make_one_proposal(store: Storage) -> None:
    tickets = await reports(store, 6)
    cluster = cluster_of(tickets[0])
    assert cluster is not None
    ids = [t.id for t in tickets]
    made = await asyncio.gather(
        *(store.propose(a_draft(cluster), ids[: 5 + n % 2], NOW, cards) for n in range(6))
    )
    assert len({p.id for p in made}) == 1
    final = await store.get_proposal(made[0].id)
    assert final is not None and final.tickets == tuple(ids)
    # One card when it was made, at most one refresh when the sixth report joined.
    queued = [m for m in await pending(store) if m.card]
    assert 1 <= len(queued) <= 2


async def test_decided_once_dismissed_holds_the_cluster_declared_frees_it(store: Storage) -> None:
    tickets = await reports(store, 5)
    cluster = cluster_of(tickets[0])
    assert cluster is not None
    ids = [t.id for t in tickets]
    proposal = await store.propose(a_draft(cluster), ids, NOW, cards)
    await pending(store)
    at = NOW + timedelta(minutes=10)
    note = [Outgoing(SUPERVISOR, "", card=f"proposal:{proposal.id}")]
    assert await store.decide_proposal(
        proposal.id, "dismissed", SUPERVISOR, at, at + WINDOW, None, note
    )
    # Pressed twice, or by two supervisors: decided once, nothing more queued.
    assert not await store.decide_proposal(
        proposal.id, "declared", SUPERVISOR, at, at + WINDOW, None, note
    )
    assert len(await pending(store)) == 1
    dismissed = await store.get_proposal(proposal.id)
    assert dismissed is not None and dismissed.status == "dismissed"
    assert dismissed.decided_at == at and dismissed.decided_by == SUPERVISOR
    assert await store.cluster_floor(cluster.key) == at
    assert await store.cluster_floor("elsewhere") is None
    # Within the window the dismissed proposal is the cluster's: nothing new, nothing queued.
    more = await reports(store, 5, start=12)
    more_ids = [t.id for t in more]
    soon = NOW + timedelta(minutes=20)
    held = await store.propose(a_draft(cluster, timedelta(minutes=20)), more_ids, soon, cards)
    assert held.id == proposal.id and held.tickets == tuple(ids)
    assert await pending(store) == []
    # After the window a new proposal may come.
    late = timedelta(minutes=41)
    fresh = await store.propose(a_draft(cluster, late), more_ids, NOW + late, cards)
    assert fresh.id != proposal.id and fresh.tickets == tuple(more_ids)
    # Declared: the cluster is free at once.
    decided = NOW + timedelta(minutes=42)
    assert await store.decide_proposal(
        fresh.id, "declared", SUPERVISOR, decided, decided + WINDOW, None, []
    )
    newest = await store.propose(
        a_draft(cluster, timedelta(minutes=43)), more_ids, NOW + timedelta(minutes=43), cards
    )
    assert newest.id not in (proposal.id, fresh.id)


async def test_linked_reports_are_not_counted_again(store: Storage) -> None:
    from bot.core.incidents import Incident
    from bot.core.models import TicketEvent

    tickets = await reports(store, 3)
    cluster = cluster_of(tickets[0])
    assert cluster is not None
    incident = await store.declare_incident(
        Incident(
            estate="harbour_view",
            buildings=("A",),
            common_areas=False,
            category="plumbing",
            subcategory="no_water",
            department="engineering",
            texts={"en": "no water"},
            started_at=NOW,
            eta=None,
            declared_by=SUPERVISOR,
        ),
        [],
        NOW,
    )
    event = TicketEvent(tickets[0].id, NOW, "incident_linked", SUPERVISOR, {})
    assert await store.link_ticket(incident.id, tickets[0].id, event, [], NOW)
    since = NOW - timedelta(minutes=1)
    assert await store.cluster_reports(cluster, since) == [t.id for t in tickets[1:]]


async def test_incident_facts_count_folded_reports_in_period_and_scope(store: Storage) -> None:
    from bot.core.incidents import Incident
    from bot.core.models import TicketEvent
    from bot.store.reports import Scope

    tickets = await reports(store, 2)

    def incident(department: str, estate: str = "harbour_view") -> Incident:
        return Incident(
            estate=estate,
            buildings=("A",),
            common_areas=False,
            category="plumbing",
            subcategory="no_water",
            department=department,
            texts={"en": "no water"},
            started_at=NOW,
            eta=None,
            declared_by=SUPERVISOR,
        )

    water = await store.declare_incident(incident("engineering"), [], NOW)
    other = await store.declare_incident(incident("security", "emerald_lake"), [], NOW)
    for t in tickets:
        event = TicketEvent(t.id, NOW, "incident_linked", SUPERVISOR, {})
        assert await store.link_ticket(water.id, t.id, event, [], NOW)
    # The owner of a linked ticket subscribes too: one report, not two.
    for person in (tickets[0].owner_id, 7001, 7002):
        assert await store.subscribe(water.id, person, NOW)
    closed = NOW + timedelta(hours=2)
    after = replace(water, status="closed", closed_at=closed, all_clear={"en": "back"})
    assert await store.close_incident(water, after, [], closed)

    day = (NOW - timedelta(hours=1), NOW + timedelta(hours=23))
    facts = await store.incident_facts(*day)
    assert [f.id for f in facts] == [water.id, other.id]
    fact = facts[0]
    assert (fact.linked, fact.subscribers, fact.unticketed, fact.folded) == (2, 3, 2, 4)
    assert fact.to_all_clear == timedelta(hours=2) and fact.closed_at == closed
    assert fact.buildings == ("A",) and fact.texts == {"en": "no water"}
    assert facts[1].closed_at is None and facts[1].folded == 0
    # Scope: a department's or an estate's supervisor sees theirs only.
    engineering = await store.incident_facts(*day, Scope(departments=frozenset({"engineering"})))
    assert [f.id for f in engineering] == [water.id]
    lake = await store.incident_facts(*day, Scope(estates=frozenset({"emerald_lake"})))
    assert [f.id for f in lake] == [other.id]
    # Period: over before it began, or started after it ended.
    later = await store.incident_facts(NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    assert [f.id for f in later] == [other.id]
    assert await store.incident_facts(NOW - timedelta(hours=5), NOW - timedelta(hours=1)) == []


async def test_a_common_area_is_a_cluster_of_its_own(store: Storage) -> None:
    flats = await reports(store, 2)
    lobby = await reports(store, 3, start=10, area="hv-a-lobby", unit=None)
    cluster = cluster_of(lobby[0])
    assert cluster is not None and cluster.area == "hv-a-lobby"
    since = NOW - timedelta(minutes=1)
    assert await store.cluster_reports(cluster, since) == [t.id for t in lobby]
    home = cluster_of(flats[0])
    assert home is not None
    assert await store.cluster_reports(home, since) == [t.id for t in flats]
    made = await store.propose(a_draft(cluster), [t.id for t in lobby], NOW, cards)
    assert made.cluster == cluster
    assert (await store.propose(a_draft(home), [t.id for t in flats], NOW, cards)).id != made.id
