"""The outbox in SQLite: messages queued with the change that caused them, then delivered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.core.models import OutboxItem, Outgoing, Priority, TicketEvent
from bot.store import sql
from bot.store.sqlite.db import SqliteBase, dt, ts
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


class SqliteOutbox(SqliteBase):
    """OutboxStore over SQLite."""

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime) -> None:
        """Queue messages for delivery (on their own; state changes enqueue in their own tx)."""
        async with self._tx() as db:
            for message in messages:
                await enqueue_in(db, message, now)

    async def due_outbox(self, now: datetime, limit: int = 200) -> list[OutboxItem]:
        """The next message of each chat, if it is due; the most important first, then oldest.

        Only a chat's next message can go (its most important, then oldest), so a burst to
        one busy chat never hides other chats' messages behind it. A message that is being
        retried keeps its place in its chat; one queued for later (``not_before``) takes its
        place only once it is due.
        """
        rows = await self._fetchall(sql.DUE_OUTBOX, (ts(now), ts(now), limit))
        return [_outbox_item(r) for r in rows]

    async def due_outbox_of_chat(self, chat_id: int, now: datetime) -> OutboxItem | None:
        """One chat's next message (as ``due_outbox`` picks it), if its next attempt is due."""
        row = await self._fetchone(sql.DUE_OUTBOX_OF_CHAT, (chat_id, ts(now)))
        if row is None or row["next_attempt_at"] > ts(now):
            return None
        return _outbox_item(row)

    async def next_outbox_due(self) -> datetime | None:
        """When the earliest pending message is due, or None when nothing is pending."""
        row = await self._fetchone(sql.NEXT_OUTBOX_DUE)
        return dt(row["due"]) if row and row["due"] else None

    async def outbox_sent(self, item_id: int, message_id: int | None, now: datetime) -> None:
        """Mark a message delivered."""
        await self._write(sql.OUTBOX_SENT, (ts(now), message_id, item_id))

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

    async def outbox_counts(self) -> dict[str, int]:
        """How many outbox messages are in each status."""
        rows = await self._fetchall(sql.OUTBOX_COUNTS)
        return {r["status"]: int(r["n"]) for r in rows}


def _outbox_item(r: aiosqlite.Row) -> OutboxItem:
    """An outbox row as the message it holds."""
    return outbox_item(
        r["id"], r["chat_id"], r["ticket_id"], r["payload"], r["attempts"], r["status"],
        r["priority"],
    )  # fmt: skip


def outbox_item(
    item_id: int,
    chat_id: int,
    ticket_id: int | None,
    body: str,
    attempts: int,
    status: str,
    priority: int,
) -> OutboxItem:
    """A stored outbox row (its ``message_body`` JSON and bookkeeping) as an OutboxItem."""
    payload = json.loads(body)
    message = Outgoing(
        chat_id=chat_id,
        text=payload["text"],
        buttons=tuple(tuple((b[0], b[1]) for b in row) for row in payload["buttons"]),
        photo=payload.get("photo"),
        ticket_id=ticket_id,
        card=payload.get("card"),
        photos=tuple(payload.get("photos") or ()),
        priority=Priority(priority),
        collapse=payload.get("collapse"),
    )
    return OutboxItem(item_id, message, attempts, status)
