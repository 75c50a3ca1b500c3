"""The outbox in SQLite: messages queued with the change that caused them, then delivered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.core.models import Outgoing, TicketEvent
from bot.store import sql
from bot.store.reads import CommonOutbox
from bot.store.sqlite.db import SqliteBase, ts
from bot.store.sqlite.events import add_event


def message_body(message: Outgoing) -> str:
    """The JSON an outbox row keeps of a message (both backends store the same)."""
    payload = {
        "text": message.text,
        "buttons": [[list(b) for b in row] for row in message.buttons],
        "photo": message.photo,
        "card": message.card,
        "photos": list(message.photos),
        "collapse": message.collapse,
    }
    return json.dumps(payload, ensure_ascii=False)


async def enqueue_in(db: aiosqlite.Connection, message: Outgoing, now: datetime) -> None:
    """Queue one message inside the caller's transaction (folding card refreshes/collapses)."""
    body = message_body(message)
    if message.card is not None and message.ticket_id is not None:
        # A card is drawn from the ticket when it is sent, so one pending refresh per
        # ticket and chat shows the latest state; more would only spend the rate limit.
        pending = await (
            await db.execute(
                "SELECT 1 FROM outbox WHERE status = 'pending'"
                " AND chat_id = ? AND ticket_id = ?"
                " AND json_extract(payload, '$.card') IS NOT NULL LIMIT 1",
                (message.chat_id, message.ticket_id),
            )
        ).fetchone()
        if pending is not None:
            return
    if message.collapse is not None:
        # Only one still waiting for its time: one being delivered keeps what it says.
        cursor = await db.execute(
            "UPDATE outbox SET payload = ? WHERE status = 'pending' AND attempts = 0"
            " AND chat_id = ? AND ticket_id IS ? AND next_attempt_at > ?"
            " AND json_extract(payload, '$.collapse') = ?",
            (body, message.chat_id, message.ticket_id, ts(now), message.collapse),
        )
        if cursor.rowcount:
            return
    due = max(now, message.not_before) if message.not_before is not None else now
    await db.execute(
        sql.INSERT_OUTBOX,
        (message.chat_id, message.ticket_id, body, ts(due), ts(now), int(message.priority)),
    )


class SqliteOutbox(SqliteBase, CommonOutbox):
    """OutboxStore over SQLite."""

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime) -> None:
        """Queue messages for delivery (on their own; state changes enqueue in their own tx)."""
        async with self._tx() as db:
            for message in messages:
                await enqueue_in(db, message, now)

    async def outbox_retry(self, item_id: int, at: datetime, error: str) -> None:
        """Schedule another attempt after a transient failure."""
        async with self._tx() as db:
            await db.execute(sql.OUTBOX_RETRY, (ts(at), error[:500], item_id))

    async def outbox_failed(self, item_id: int, error: str, now: datetime) -> None:
        """Give up on a message for good (blocked bot, chat gone) and note it on its ticket."""
        async with self._tx() as db:
            row = await (await db.execute(sql.OUTBOX_FAILED, (error[:500], item_id))).fetchone()
            if row is not None and row["ticket_id"] is not None:
                await add_event(
                    db,
                    TicketEvent(
                        row["ticket_id"],
                        now,
                        "delivery_failed",
                        None,
                        {"chat_id": row["chat_id"], "error": error[:200]},
                    ),
                )
