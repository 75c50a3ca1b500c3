"""Incident proposals in SQLite: one live proposal per cluster, its reports, the decision."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import aiosqlite

from bot.core.incident_proposals import Cluster, Proposal
from bot.core.incident_stats import IncidentFact
from bot.core.models import Outgoing
from bot.store import proposal_sql as q
from bot.store.reports import EVERYTHING, Scope
from bot.store.sqlite.db import SqliteBase, dt, ts
from bot.store.sqlite.outbox import enqueue_in


async def _tickets(db: aiosqlite.Connection, proposal_id: int) -> list[int]:
    rows = await (await db.execute(q.TICKETS, (proposal_id,))).fetchall()
    return [int(r[0]) for r in rows]


class SqliteProposals(SqliteBase):
    """ProposalStore over SQLite (one connection: the transactions never interleave)."""

    async def cluster_reports(self, cluster: Cluster, since: datetime) -> list[int]:
        """The cluster's reports since ``since`` that no incident took, oldest first."""
        sql, place = q.reports_query(cluster)
        params = (cluster.estate, cluster.category, cluster.subcategory or "", ts(since), place)
        return [int(r["id"]) for r in await self._fetchall(sql, params)]

    async def cluster_floor(self, cluster_key: str) -> datetime | None:
        """When a proposal of this cluster was last decided."""
        row = await self._fetchone(q.FLOOR, (cluster_key,))
        return dt(row["floor"]) if row and row["floor"] else None

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
            await db.execute(q.EXPIRE, (key, ts(now)))
            created = await (await db.execute(q.INSERT, q.insert_params(draft, ts))).fetchone()
            row = await (await db.execute(q.LIVE, (key,))).fetchone()
            assert row is not None, "a live proposal was just inserted or found"
            proposal_id = int(row["id"])
            added = 0
            if row["status"] == "open":
                for ticket_id in tickets:
                    cursor = await db.execute(q.ADD_TICKET, (proposal_id, ticket_id))
                    added += cursor.rowcount
            if added and created is None:
                await db.execute(q.GREW, (ts(now), ts(draft.expires_at), proposal_id))
                row = await (await db.execute(q.GET, (proposal_id,))).fetchone()
                assert row is not None
            proposal = q.proposal_of(row, dt, await _tickets(db, proposal_id))
            if created is not None or added:
                for message in messages(proposal):
                    await enqueue_in(db, message, now)
        return proposal

    async def get_proposal(self, proposal_id: int) -> Proposal | None:
        """A proposal with its tickets, or None."""
        row = await self._fetchone(q.GET, (proposal_id,))
        if row is None:
            return None
        tickets = await self._fetchall(q.TICKETS, (proposal_id,))
        return q.proposal_of(row, dt, [int(t["ticket_id"]) for t in tickets])

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
        params = (status, ts(now), by, incident_id, ts(expires_at), status, proposal_id)
        async with self._tx() as db:
            if (await db.execute(q.DECIDE, params)).rowcount != 1:
                return False
            for message in messages:
                await enqueue_in(db, message, now)
        return True

    async def proposals_between(self, start: datetime, end: datetime) -> list[Proposal]:
        """Proposals first made in [start, end), with their tickets."""
        rows = await self._fetchall(q.BETWEEN, (ts(end), ts(start)))
        out = []
        for row in rows:
            tickets = await self._fetchall(q.TICKETS, (row["id"],))
            out.append(q.proposal_of(row, dt, [int(t["ticket_id"]) for t in tickets]))
        return out

    async def incident_facts(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[IncidentFact]:
        """Incidents going on in [start, end) in the scope, with their counts."""
        only, params = self._scope_sql(scope, "i")
        rows = await self._fetchall(
            q.INCIDENT_FACTS.format(scope=only), (ts(end), ts(start), *params)
        )
        return [q.incident_fact_of(r, dt) for r in rows]
