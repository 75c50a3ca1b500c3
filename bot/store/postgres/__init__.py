"""The PostgreSQL backend (asyncpg): one module per aggregate, composed into ``PostgresStore``.

``store = await PostgresStore.open(url)`` connects a pool and migrates; ``await store.close()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.postgres.announcements import PgNotices
from bot.store.postgres.cards import PgCards
from bot.store.postgres.dashboard import PgDashboard
from bot.store.postgres.db import PgBase
from bot.store.postgres.digests import PgDigests
from bot.store.postgres.homes import PgHomes
from bot.store.postgres.incidents import PgIncidents
from bot.store.postgres.outbox import PgOutbox
from bot.store.postgres.proposals import PgProposals
from bot.store.postgres.replicas import PgInbox
from bot.store.postgres.reports import PgReports
from bot.store.postgres.schema import MIGRATIONS
from bot.store.postgres.staff import PgStaffState
from bot.store.postgres.surveys import PgSurveys
from bot.store.postgres.tickets import PgTickets
from bot.store.reads import CommonConversations, CommonPeople, CommonUpdateLog

__all__ = ["MIGRATIONS", "PostgresStore"]


class PostgresStore(
    CommonUpdateLog,
    CommonPeople,
    PgHomes,
    CommonConversations,
    PgTickets,
    PgStaffState,
    PgOutbox,
    PgCards,
    PgDigests,
    PgSurveys,
    PgReports,
    PgDashboard,
    PgNotices,
    PgIncidents,
    PgProposals,
    PgInbox,
    PgBase,
):
    """A PostgreSQL database: the aggregates share one connection pool (``PgBase``); a
    transaction that spans them runs on one connection of it."""


if TYPE_CHECKING:
    # mypy proves here that the backend keeps every interface (a Protocol is checked where a
    # value is assigned to it); a missing method or a changed signature fails the lint test.
    from bot.store.digest_interfaces import DigestStore
    from bot.store.interfaces import (
        BoardReads,
        CardStore,
        ConversationStore,
        IncidentStore,
        NoticeStore,
        OutboxStore,
        OwnerMemory,
        PersonStore,
        ReportReads,
        ReportRuns,
        StaffState,
        Storage,
        SurveyStore,
        TicketStore,
        UpdateLog,
        WebAuthStore,
    )
    from bot.store.replica_interfaces import OutboxClaims, UpdateInbox

    def _digests_alone(digests: PgDigests) -> DigestStore:
        return digests

    def _store_is_storage(store: PostgresStore) -> Storage:
        return store

    def _store_serves_replicas(store: PostgresStore) -> tuple[UpdateInbox, OutboxClaims]:
        return store, store

    def _each_part_alone(
        updates: CommonUpdateLog,
        people: CommonPeople,
        homes: PgHomes,
        conversations: CommonConversations,
        tickets: PgTickets,
        staff: PgStaffState,
        outbox: PgOutbox,
        cards: PgCards,
        surveys: PgSurveys,
        reports: PgReports,
        dashboard: PgDashboard,
        notices: PgNotices,
        incidents: PgIncidents,
    ) -> tuple[
        UpdateLog,
        PersonStore,
        OwnerMemory,
        ConversationStore,
        TicketStore,
        StaffState,
        OutboxStore,
        CardStore,
        SurveyStore,
        ReportReads,
        ReportRuns,
        BoardReads,
        WebAuthStore,
        NoticeStore,
        IncidentStore,
    ]:
        return (
            updates,
            people,
            homes,
            conversations,
            tickets,
            staff,
            outbox,
            cards,
            surveys,
            reports,
            reports,
            dashboard,
            dashboard,
            notices,
            incidents,
        )
