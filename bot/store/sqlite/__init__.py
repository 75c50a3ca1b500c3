"""The SQLite backend (aiosqlite): one module per aggregate, composed into ``Store``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.reads import CommonConversations, CommonPeople, CommonUpdateLog
from bot.store.sqlite.announcements import SqliteNotices
from bot.store.sqlite.cards import SqliteCards
from bot.store.sqlite.dashboard import SqliteDashboard
from bot.store.sqlite.db import SqliteBase
from bot.store.sqlite.digests import SqliteDigests
from bot.store.sqlite.homes import SqliteHomes
from bot.store.sqlite.incidents import SqliteIncidents
from bot.store.sqlite.outbox import SqliteOutbox
from bot.store.sqlite.proposals import SqliteProposals
from bot.store.sqlite.reports import SqliteReports
from bot.store.sqlite.schema import MIGRATIONS
from bot.store.sqlite.staff import SqliteStaffState
from bot.store.sqlite.surveys import SqliteSurveys
from bot.store.sqlite.tickets import SqliteTickets

__all__ = ["MIGRATIONS", "Store"]


class Store(
    CommonUpdateLog,
    CommonPeople,
    SqliteHomes,
    CommonConversations,
    SqliteTickets,
    SqliteStaffState,
    SqliteOutbox,
    SqliteCards,
    SqliteDigests,
    SqliteSurveys,
    SqliteReports,
    SqliteDashboard,
    SqliteNotices,
    SqliteIncidents,
    SqliteProposals,
    SqliteBase,
):
    """The SQLite database: ``await Store.open(path)`` opens it, ``await store.close()`` closes.

    The aggregates share one connection and one lock (``SqliteBase``), so a transaction that
    spans them (a transition with its events, messages and survey) stays atomic.
    """


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

    def _digests_alone(digests: SqliteDigests) -> DigestStore:
        return digests

    def _store_is_storage(store: Store) -> Storage:
        return store

    def _each_part_alone(
        updates: CommonUpdateLog,
        people: CommonPeople,
        homes: SqliteHomes,
        conversations: CommonConversations,
        tickets: SqliteTickets,
        staff: SqliteStaffState,
        outbox: SqliteOutbox,
        cards: SqliteCards,
        surveys: SqliteSurveys,
        reports: SqliteReports,
        dashboard: SqliteDashboard,
        notices: SqliteNotices,
        incidents: SqliteIncidents,
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
