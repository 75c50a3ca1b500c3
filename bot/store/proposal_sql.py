"""The incident proposals' SQL, shared by both backends (``?`` placeholders; PostgreSQL numbers
them), and their rows as ``Proposal`` objects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.core.incident_proposals import Cluster, Proposal
from bot.core.incident_stats import IncidentFact
from bot.store.rows import ReadMoment, Row

COLUMNS = (
    "id, estate, building, area, category, subcategory, department, status, first_at,"
    " last_at, expires_at, decided_at, decided_by, incident_id, version"
)
# Reports of one cluster since a moment that no incident took yet, oldest first.
_REPORTS = (
    "SELECT t.id FROM tickets t WHERE t.estate = ? AND t.category = ?"
    " AND COALESCE(t.subcategory, '') = ? AND t.created_at >= ? AND {place}"
    " AND NOT EXISTS (SELECT 1 FROM incident_tickets i WHERE i.ticket_id = t.id)"
    " ORDER BY t.created_at, t.id"
)
REPORTS_IN_BUILDING = _REPORTS.format(place="t.building = ? AND t.area IS NULL")
REPORTS_IN_AREA = _REPORTS.format(place="t.area = ?")
FLOOR = "SELECT MAX(decided_at) AS floor FROM incident_proposals WHERE cluster = ?"
EXPIRE = "UPDATE incident_proposals SET live = 0 WHERE cluster = ? AND live = 1 AND expires_at <= ?"
INSERT = (
    "INSERT INTO incident_proposals (cluster, estate, building, area, category, subcategory,"
    " department, status, live, first_at, last_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', 1, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"
)
LIVE = f"SELECT {COLUMNS} FROM incident_proposals WHERE cluster = ? AND live = 1"
GET = f"SELECT {COLUMNS} FROM incident_proposals WHERE id = ?"
ADD_TICKET = (
    "INSERT INTO incident_proposal_tickets (proposal_id, ticket_id) VALUES (?, ?)"
    " ON CONFLICT DO NOTHING"
)
TICKETS = "SELECT ticket_id FROM incident_proposal_tickets WHERE proposal_id = ? ORDER BY ticket_id"
GREW = (
    "UPDATE incident_proposals SET last_at = ?, expires_at = ?, version = version + 1 WHERE id = ?"
)
# A declared proposal gives its cluster up at once (the incident covers the place now); a
# dismissed one stays the cluster's live proposal until expires_at.
DECIDE = (
    "UPDATE incident_proposals SET status = ?, decided_at = ?, decided_by = ?, incident_id = ?,"
    " expires_at = ?, live = CASE WHEN ? = 'declared' THEN 0 ELSE live END,"
    " version = version + 1 WHERE id = ? AND status = 'open'"
)
BETWEEN = (
    f"SELECT {COLUMNS} FROM incident_proposals WHERE first_at < ? AND first_at >= ? ORDER BY id"
)


def reports_query(cluster: Cluster) -> tuple[str, str]:
    """The reports query for a cluster and its place parameter."""
    if cluster.area:
        return REPORTS_IN_AREA, cluster.area
    return REPORTS_IN_BUILDING, cluster.building or ""


def insert_params(draft: Proposal, stamp: Any) -> tuple[Any, ...]:
    """INSERT's parameters; ``stamp`` writes a moment the backend's way."""
    c = draft.cluster
    return (
        c.key,
        c.estate,
        c.building,
        c.area,
        c.category,
        c.subcategory,
        draft.department,
        stamp(draft.first_at),
        stamp(draft.last_at),
        stamp(draft.expires_at),
    )


def proposal_of(row: Row, read: ReadMoment, tickets: Sequence[int]) -> Proposal:
    """Build a Proposal from a row selected with ``COLUMNS`` and its tickets."""
    status = row["status"]
    return Proposal(
        cluster=Cluster(
            row["estate"], row["building"], row["area"], row["category"], row["subcategory"]
        ),
        department=row["department"],
        first_at=read(row["first_at"]),
        last_at=read(row["last_at"]),
        expires_at=read(row["expires_at"]),
        id=int(row["id"]),
        status="declared"
        if status == "declared"
        else "dismissed"
        if status == "dismissed"
        else "open",
        decided_at=read(row["decided_at"]) if row["decided_at"] is not None else None,
        decided_by=row["decided_by"],
        incident_id=row["incident_id"],
        version=int(row["version"]),
        tickets=tuple(int(t) for t in tickets),
    )


# Incidents for reports, with their counts; ``{scope}`` takes the backend's scope conditions.
INCIDENT_FACTS = (
    "SELECT i.id, i.estate, i.buildings, i.common_areas, i.category, i.subcategory,"
    " i.department, i.texts, i.started_at, i.eta, i.closed_at,"
    " (SELECT COUNT(*) FROM incident_tickets l WHERE l.incident_id = i.id) AS linked,"
    " (SELECT COUNT(*) FROM incident_subscribers s WHERE s.incident_id = i.id) AS subscribers,"
    " (SELECT COUNT(*) FROM incident_subscribers s WHERE s.incident_id = i.id AND NOT EXISTS"
    " (SELECT 1 FROM incident_tickets l JOIN tickets t ON t.id = l.ticket_id"
    " WHERE l.incident_id = i.id AND t.owner_id = s.person_id)) AS unticketed"
    " FROM incidents i WHERE i.started_at < ? AND (i.closed_at IS NULL OR i.closed_at >= ?)"
    "{scope} ORDER BY i.started_at, i.id"
)


def incident_fact_of(row: Row, read: ReadMoment) -> IncidentFact:
    """An IncidentFact from an INCIDENT_FACTS row."""
    return IncidentFact(
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
        closed_at=read(row["closed_at"]) if row["closed_at"] is not None else None,
        linked=int(row["linked"]),
        subscribers=int(row["subscribers"]),
        unticketed=int(row["unticketed"]),
    )
