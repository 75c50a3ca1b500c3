"""Incident proposals in PostgreSQL: one live proposal per cluster (the partial unique index
decides between replicas racing), its reports, the decision."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.core.incident_proposals import Cluster, Proposal
from bot.core.incident_stats import IncidentFact
from bot.core.models import Outgoing
from bot.store import proposal_sql as q
from bot.store.postgres.db import PgBase, pg, rowcount
from bot.store.postgres.outbox import enqueue_in
from bot.store.reports import EVERYTHING, Scope
from bot.store.rows import as_is


class PgProposals(PgBase):
    """ProposalStore over PostgreSQL."""

    async def cluster_reports(self, cluster: Cluster, since: datetime) -> list[int]:
        """The cluster's reports since ``since`` that no incident took, oldest first."""
        sql, place = q.reports_query(cluster)
        rows = await self._fetch(
            sql, cluster.estate, cluster.category, cluster.subcategory or "", since, place
        )
        return [int(r["id"]) for r in rows]

    async def cluster_floor(self, cluster_key: str) -> datetime | None:
        """When a proposal of this cluster was last decided."""
        row = await self._fetchrow(q.FLOOR, cluster_key)
        return as_is(row["floor"]) if row and row["floor"] is not None else None

    async def propose(
        self,
        draft: Proposal,
        tickets: Sequence[int],
        now: datetime,
        messages: Callable[[Proposal], Sequence[Outgoing]],
    ) -> Proposal:
        """Insert or grow the cluster's live proposal, with its messages when it changed."""
        key = draft.cluster.key
        async with self._tx() as db:
            await db.execute(pg(q.EXPIRE), key, now)
            # A replica inserting the same cluster meanwhile makes this wait for its commit,
            # then insert nothing: the row locked below is the one both see.
            created = await db.fetchval(pg(q.INSERT), *q.insert_params(draft, as_is))
            row = await db.fetchrow(pg(q.LIVE) + " FOR UPDATE", key)
            assert row is not None, "a live proposal was just inserted or found"
            proposal_id = int(row["id"])
            added = 0
            if row["status"] == "open":
                for ticket_id in tickets:
                    added += rowcount(await db.execute(pg(q.ADD_TICKET), proposal_id, ticket_id))
            if added and created is None:
                await db.execute(pg(q.GREW), now, draft.expires_at, proposal_id)
                row = await db.fetchrow(pg(q.GET), proposal_id)
                assert row is not None
            ids = [int(r["ticket_id"]) for r in await db.fetch(pg(q.TICKETS), proposal_id)]
            proposal = q.proposal_of(row, as_is, ids)
            if created is not None or added:
                await enqueue_in(db, messages(proposal), now)
        return proposal

    async def get_proposal(self, proposal_id: int) -> Proposal | None:
        """A proposal with its tickets, or None."""
        row = await self._fetchrow(q.GET, proposal_id)
        if row is None:
            return None
        tickets = await self._fetch(q.TICKETS, proposal_id)
        return q.proposal_of(row, as_is, [int(t["ticket_id"]) for t in tickets])

    async def decide_proposal(
        self,
        proposal_id: int,
        status: str,
        by: int,
        now: datetime,
        expires_at: datetime,
        incident_id: int | None,
        messages: Sequence[Outgoing],
    ) -> bool:
        """Compare-and-set open → decided, with the messages."""
        async with self._tx() as db:
            done = await db.execute(
                pg(q.DECIDE), status, now, by, incident_id, expires_at, status, proposal_id
            )
            if rowcount(done) != 1:
                return False
            await enqueue_in(db, messages, now)
        return True

    async def proposals_between(self, start: datetime, end: datetime) -> list[Proposal]:
        """Proposals first made in [start, end), with their tickets."""
        out = []
        for row in await self._fetch(q.BETWEEN, end, start):
            tickets = await self._fetch(q.TICKETS, row["id"])
            out.append(q.proposal_of(row, as_is, [int(t["ticket_id"]) for t in tickets]))
        return out

    async def incident_facts(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[IncidentFact]:
        """Incidents going on in [start, end) in the scope, with their counts."""
        only, params = self._scope_sql(scope, "i")
        rows = await self._fetch(q.INCIDENT_FACTS.format(scope=only), end, start, *params)
        return [q.incident_fact_of(r, as_is) for r in rows]
