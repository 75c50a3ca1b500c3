"""The incidents' SQL, shared by both backends (``?`` placeholders; PostgreSQL numbers them),
and their rows as ``Incident`` objects."""

from __future__ import annotations

import json
from typing import Any

from bot.core.incidents import Incident
from bot.store.rows import ReadMoment, Row

COLUMNS = (
    "id, estate, buildings, common_areas, category, subcategory, department, texts,"
    " started_at, eta, declared_by, status, closed_at, all_clear, note, version"
)
DECLARE = (
    "INSERT INTO incidents (estate, buildings, common_areas, category, subcategory, department,"
    " texts, started_at, eta, declared_by, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " RETURNING id"
)
GET = f"SELECT {COLUMNS} FROM incidents WHERE id = ?"
OPEN_ALL = f"SELECT {COLUMNS} FROM incidents WHERE status = 'open' ORDER BY id"
OPEN_OF_ESTATE = f"SELECT {COLUMNS} FROM incidents WHERE status = 'open' AND estate = ? ORDER BY id"
UPDATE = (
    "UPDATE incidents SET texts = ?, eta = ?, note = ?, version = version + 1"
    " WHERE id = ? AND version = ? AND status = 'open'"
)
CLOSE = (
    "UPDATE incidents SET status = 'closed', closed_at = ?, all_clear = ?, note = ?,"
    " version = version + 1 WHERE id = ? AND version = ? AND status = 'open'"
)
IS_OPEN = "SELECT 1 FROM incidents WHERE id = ? AND status = 'open'"
LINK = (
    "INSERT INTO incident_tickets (ticket_id, incident_id, linked_at) VALUES (?, ?, ?)"
    " ON CONFLICT (ticket_id) DO NOTHING"
)
LINKED = (
    "SELECT ticket_id FROM incident_tickets WHERE incident_id = ? ORDER BY linked_at, ticket_id"
)
TICKET_INCIDENT = "SELECT incident_id FROM incident_tickets WHERE ticket_id = ?"
SUBSCRIBE = (
    "INSERT INTO incident_subscribers (incident_id, person_id, subscribed_at)"
    " SELECT id, ?, ? FROM incidents WHERE id = ? AND status = 'open'"
    " ON CONFLICT (incident_id, person_id) DO NOTHING"
)
SUBSCRIBERS = (
    "SELECT person_id FROM incident_subscribers WHERE incident_id = ?"
    " ORDER BY subscribed_at, person_id"
)
TOLD = (
    "INSERT INTO incident_deliveries (incident_id, chat_id, kind, version, queued_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
RATE = (
    "UPDATE incident_subscribers SET rating = ?, rated_at = ?"
    " WHERE incident_id = ? AND person_id = ? AND rating IS NULL"
    " AND EXISTS (SELECT 1 FROM incidents WHERE id = ? AND status = 'closed')"
)
RATINGS = (
    "SELECT person_id, rating FROM incident_subscribers"
    " WHERE incident_id = ? AND rating IS NOT NULL ORDER BY rated_at, person_id"
)
UNSETTLED = f"SELECT {COLUMNS} FROM incidents WHERE status = 'closed' AND settled = 0 ORDER BY id"
SETTLE = "UPDATE incidents SET settled = 1 WHERE id = ? AND status = 'closed'"
BETWEEN = (
    f"SELECT {COLUMNS} FROM incidents WHERE started_at < ?"
    " AND (closed_at IS NULL OR closed_at >= ?) ORDER BY id"
)


def declare_params(incident: Incident, stamp: Any) -> tuple[Any, ...]:
    """DECLARE's parameters; ``stamp`` writes a moment the backend's way."""
    return (
        incident.estate,
        json.dumps(list(incident.buildings)),
        int(incident.common_areas),
        incident.category,
        incident.subcategory,
        incident.department,
        json.dumps(dict(incident.texts), ensure_ascii=False),
        stamp(incident.started_at),
        stamp(incident.eta) if incident.eta is not None else None,
        incident.declared_by,
        incident.note,
    )


def update_params(before: Incident, after: Incident, stamp: Any) -> tuple[Any, ...]:
    """UPDATE's parameters."""
    return (
        json.dumps(dict(after.texts), ensure_ascii=False),
        stamp(after.eta) if after.eta is not None else None,
        after.note,
        before.id,
        before.version,
    )


def close_params(before: Incident, after: Incident, stamp: Any) -> tuple[Any, ...]:
    """CLOSE's parameters."""
    closed = after.closed_at
    assert closed is not None, "a closed incident has its moment"
    return (
        stamp(closed),
        json.dumps(dict(after.all_clear), ensure_ascii=False),
        after.note,
        before.id,
        before.version,
    )


def incident_of(row: Row, read: ReadMoment) -> Incident:
    """Build an Incident from a row selected with ``COLUMNS``."""
    return Incident(
        id=int(row["id"]),
        estate=row["estate"],
        buildings=tuple(json.loads(row["buildings"])),
        common_areas=bool(row["common_areas"]),
        category=row["category"],
        subcategory=row["subcategory"],
        department=row["department"],
        texts=json.loads(row["texts"]),
        started_at=read(row["started_at"]),
        eta=read(row["eta"]) if row["eta"] is not None else None,
        declared_by=row["declared_by"],
        status="closed" if row["status"] == "closed" else "open",
        closed_at=read(row["closed_at"]) if row["closed_at"] is not None else None,
        all_clear=json.loads(row["all_clear"]),
        note=row["note"],
        version=int(row["version"]),
    )
