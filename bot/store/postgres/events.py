"""Ticket timeline rows in PostgreSQL, written inside whichever transaction causes them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.core.models import TicketEvent
from bot.store import sql
from bot.store.dashboard import SET_WORK_STARTED, WORK_STARTED
from bot.store.postgres.db import pg

if TYPE_CHECKING:
    from bot.store.postgres.db import Conn


async def add_event(db: Conn, event: TicketEvent) -> None:
    """Append an event to its ticket's timeline (inside the caller's transaction)."""
    await db.execute(
        pg(sql.ADD_EVENT),
        event.ticket_id,
        event.at,
        event.kind,
        event.actor_id,
        json.dumps(event.data, ensure_ascii=False),
    )
    started = WORK_STARTED.get(event.kind)
    if started is not None:
        await db.execute(pg(SET_WORK_STARTED), started, event.ticket_id)
