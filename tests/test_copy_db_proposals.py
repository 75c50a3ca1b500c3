"""copy-db carries the bot's incident proposals: a dismissed one still holds its cluster on
PostgreSQL, and new proposals get new ids there."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.core.incident_proposals import cluster_of
from bot.store import Store
from bot.store.copy import copy_database
from bot.store.postgres import PostgresStore
from tests.pg import pg_url  # noqa: F401  (the fixture; pg_server is in conftest)
from tests.test_store_contract import NOW
from tests.test_store_contract_proposals import SUPERVISOR, WINDOW, a_draft, cards, reports


async def test_proposals_move_to_postgresql_and_keep_their_cluster(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    db = tmp_path / "desk.sqlite3"
    source = await Store.open(db)
    try:
        tickets = await reports(source, 3)
        cluster = cluster_of(tickets[0])
        assert cluster is not None
        proposal = await source.propose(a_draft(cluster), [t.id for t in tickets], NOW, cards)
        at = NOW + timedelta(minutes=5)
        assert await source.decide_proposal(
            proposal.id, "dismissed", SUPERVISOR, at, at + WINDOW, None, []
        )
        want = await source.get_proposal(proposal.id)
    finally:
        await source.close()

    counts = dict(
        (t, n) for t, n, _ in await copy_database(f"sqlite:///{db}", pg_url, lambda *_: None)
    )
    assert (counts["incident_proposals"], counts["incident_proposal_tickets"]) == (1, 3)

    target = await PostgresStore.open(pg_url)
    try:
        assert await target.get_proposal(proposal.id) == want
        assert await target.cluster_floor(cluster.key) == at
        # Still within the window: the dismissed proposal holds the cluster.
        soon = NOW + timedelta(minutes=10)
        held = await target.propose(a_draft(cluster, timedelta(minutes=10)), [], soon, cards)
        assert held.id == proposal.id
        # Past it, a new proposal, with an id past the copied one.
        late = timedelta(minutes=40)
        fresh = await target.propose(a_draft(cluster, late), [tickets[0].id], NOW + late, cards)
        assert fresh.id > proposal.id
    finally:
        await target.close()
