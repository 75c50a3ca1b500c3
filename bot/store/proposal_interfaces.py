"""Storage interfaces of the bot's incident proposals and of incidents in reports (kept apart
from ``bot.store.interfaces`` for size; ``Storage`` includes them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.incident_proposals import Cluster, Proposal
from bot.core.incident_stats import IncidentFact
from bot.core.models import Outgoing
from bot.store.reports import EVERYTHING, Scope


class IncidentReportReads(Protocol):
    """Incidents for reports: each with its counts (linked tickets, subscribers, and the
    subscribers who own none of its linked tickets)."""

    async def incident_facts(
        self, start: datetime, end: datetime, scope: Scope = EVERYTHING
    ) -> list[IncidentFact]:
        """Incidents going on at some moment of [start, end) in the scope (their department
        and estate), by start then id."""
        ...


class ProposalStore(Protocol):
    """The bot's incident proposals: one live proposal per cluster (a unique key, so several
    replicas on one database propose once), its reports, and what supervisors decided."""

    async def cluster_reports(self, cluster: Cluster, since: datetime) -> list[int]:
        """Ids of the cluster's tickets created at or after ``since`` that no incident took,
        oldest first."""
        ...

    async def cluster_floor(self, cluster_key: str) -> datetime | None:
        """When a supervisor last decided a proposal of this cluster, or None."""
        ...

    async def propose(
        self,
        draft: Proposal,
        tickets: Sequence[int],
        now: datetime,
        messages: Callable[[Proposal], Sequence[Outgoing]],
    ) -> Proposal:
        """In one transaction: retire the cluster's live proposal if it expired, insert
        ``draft`` unless one is live, add ``tickets`` to the live one if it is still open, and
        queue ``messages(proposal)`` only when it was created or took new tickets (then its
        ``last_at`` is now and ``expires_at`` is ``draft.expires_at``). Returns the live one."""
        ...

    async def get_proposal(self, proposal_id: int) -> Proposal | None:
        """A proposal with its tickets, or None."""
        ...

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
        """Compare-and-set open → ``status`` ("declared" retires it at once, "dismissed" keeps
        it live until ``expires_at``), with the messages; False if it was decided already."""
        ...

    async def proposals_between(self, start: datetime, end: datetime) -> list[Proposal]:
        """Proposals first made in [start, end), by id, with their tickets."""
        ...
