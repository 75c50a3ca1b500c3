"""Rows into domain objects and back, for every backend: only how a moment is passed and read
differs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, overload

from bot.core.models import (
    OutboxItem,
    Outgoing,
    Priority,
    Status,
    Survey,
    Ticket,
    TicketDraft,
    TicketEvent,
)

# SQLite stores ISO text, PostgreSQL hands back datetimes: each backend passes its reader.
ReadMoment = Callable[[Any], datetime]
# …and takes a datetime as a parameter the same two ways (``ts`` / as is).
PassMoment = Callable[[datetime], Any]


class Row(Protocol):
    """A result row read by column name or place (aiosqlite.Row, asyncpg.Record)."""

    @overload
    def __getitem__(self, key: str, /) -> Any: ...
    @overload
    def __getitem__(self, key: int, /) -> Any: ...


def as_is(value: datetime) -> datetime:
    """A moment the driver already returns as an aware datetime (PostgreSQL timestamptz)."""
    return value


def _maybe(read: ReadMoment, value: Any) -> datetime | None:
    return read(value) if value else None


def ticket_of(row: Row, read: ReadMoment) -> Ticket:
    """Build a Ticket from a row selected with ``TICKET_COLUMNS``."""
    return Ticket(
        owner_id=row["owner_id"],
        kind=row["kind"],
        category=row["category"],
        subcategory=row["subcategory"],
        department=row["department"],
        estate=row["estate"],
        building=row["building"],
        unit=row["unit"],
        area=row["area"],
        location_detail=row["location_detail"],
        urgency=row["urgency"],
        description=row["description"],
        photos=tuple(json.loads(row["photos"])),
        language=row["language"],
        created_at=read(row["created_at"]),
        accept_due=read(row["accept_due"]),
        resolve_due=read(row["resolve_due"]),
        id=row["id"],
        number=row["number"],
        status=Status(row["status"]),
        assignee_id=row["assignee_id"],
        updated_at=read(row["updated_at"]),
        version=row["version"],
        overdue=bool(row["overdue"]),
        resolution_note=row["resolution_note"],
        resolution_photo=row["resolution_photo"],
        paused_at=_maybe(read, row["paused_at"]),
        owner_phone=row["owner_phone"],
    )


def survey_of(row: Row, read: ReadMoment) -> Survey:
    """Build a Survey from a surveys row."""
    return Survey(
        id=row["id"],
        ticket_id=row["ticket_id"],
        round=row["round"],
        staff_id=row["staff_id"],
        status=row["status"],
        due_at=read(row["due_at"]),
        sent_at=_maybe(read, row["sent_at"]),
        reminded_at=_maybe(read, row["reminded_at"]),
        answered_at=_maybe(read, row["answered_at"]),
        rating=row["rating"],
        problems=tuple(json.loads(row["problems"] or "[]")),
        comment=row["comment"],
        praise=row["praise"],
        followup_status=row["followup_status"],
        followup_due=_maybe(read, row["followup_due"]),
    )


def event_of(row: Row, read: ReadMoment) -> TicketEvent:
    """Build a TicketEvent from a ticket_events row (ticket_id, at, kind, actor_id, data)."""
    return TicketEvent(
        row["ticket_id"], read(row["at"]), row["kind"], row["actor_id"], json.loads(row["data"])
    )


def outbox_item_of(row: Row) -> OutboxItem:
    """An outbox row (its ``message_body`` JSON and bookkeeping) as the message it holds."""
    payload = json.loads(row["payload"])
    message = Outgoing(
        chat_id=row["chat_id"],
        text=payload["text"],
        buttons=tuple(tuple((b[0], b[1]) for b in line) for line in payload["buttons"]),
        photo=payload.get("photo"),
        ticket_id=row["ticket_id"],
        card=payload.get("card"),
        photos=tuple(payload.get("photos") or ()),
        priority=Priority(row["priority"]),
        collapse=payload.get("collapse"),
    )
    return OutboxItem(row["id"], message, row["attempts"], row["status"])


def new_ticket_params(
    draft: TicketDraft, number: str, owner_phone: str | None, at: PassMoment
) -> tuple[Any, ...]:
    """The parameters of ``sql.INSERT_TICKET`` for a new ticket."""
    created = at(draft.created_at)
    return (
        number,
        draft.owner_id,
        draft.kind,
        draft.category,
        draft.subcategory,
        draft.department,
        draft.estate,
        draft.building,
        draft.unit,
        draft.area,
        draft.location_detail,
        draft.urgency,
        draft.description,
        json.dumps(list(draft.photos)),
        draft.language,
        Status.NEW.value,
        created,
        created,
        at(draft.accept_due),
        at(draft.resolve_due),
        owner_phone,
    )


def ticket_change_params(ticket: Ticket, at: PassMoment) -> tuple[Any, ...]:
    """The parameters of ``sql.WRITE_TICKET``: a ticket's changeable fields, and its id."""
    return (
        ticket.status.value,
        ticket.assignee_id,
        ticket.department,
        at(ticket.updated_at or ticket.created_at),
        at(ticket.accept_due),
        at(ticket.resolve_due),
        int(ticket.overdue),
        ticket.resolution_note,
        ticket.resolution_photo,
        at(ticket.paused_at) if ticket.paused_at else None,
        ticket.id,
    )
