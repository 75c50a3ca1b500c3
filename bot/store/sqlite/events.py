"""Ticket timeline rows, written inside whichever transaction causes them."""

from __future__ import annotations

import json

import aiosqlite

from bot.core.models import TicketEvent
from bot.store import sql
from bot.store.dashboard import SET_WORK_STARTED, WORK_STARTED
from bot.store.sqlite.db import ts


async def add_event(db: aiosqlite.Connection, event: TicketEvent) -> None:
    """Append an event to its ticket's timeline (inside the caller's transaction)."""
    await db.execute(
        sql.ADD_EVENT,
        (
            event.ticket_id,
            ts(event.at),
            event.kind,
            event.actor_id,
            json.dumps(event.data, ensure_ascii=False),
        ),
    )
    started = WORK_STARTED.get(event.kind)
    if started is not None:
        await db.execute(SET_WORK_STARTED, (started, event.ticket_id))
