"""What reports are asked for and given, the same for every storage backend.

A ``Scope`` says which tickets a reader may see; an ``ExportChunk`` carries plain rows with the
columns named here. The queries themselves are in each backend (``ReportReads``); for SQLite,
``bot.store.sqlite.reports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    """Which tickets a reader may see: some departments and/or estates (None: all)."""

    departments: frozenset[str] | None = None
    estates: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        """No restriction."""
        return self.departments is None and self.estates is None


EVERYTHING = Scope()


@dataclass(frozen=True)
class ExportChunk:
    """Some tickets with their events and surveys, as plain rows for an export."""

    tickets: list[dict[str, Any]]
    events: list[dict[str, Any]]
    surveys: list[dict[str, Any]]


TICKET_EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "number",
    "kind",
    "category",
    "subcategory",
    "department",
    "estate",
    "building",
    "unit",
    "area",
    "location_detail",
    "urgency",
    "status",
    "owner_id",
    "assignee_id",
    "language",
    "description",
    "created_at",
    "updated_at",
    "accept_due",
    "resolve_due",
    "overdue",
    "resolution_note",
)
EVENT_EXPORT_COLUMNS: tuple[str, ...] = ("ticket_id", "number", "at", "kind", "actor_id", "data")
SURVEY_EXPORT_COLUMNS: tuple[str, ...] = (
    "ticket_id",
    "number",
    "round",
    "staff_id",
    "status",
    "sent_at",
    "answered_at",
    "rating",
    "problems",
    "comment",
    "praise",
)
