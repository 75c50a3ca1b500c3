"""The outbox in SQLite: messages queued with the change that caused them, then delivered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.core.models import OutboxItem, Outgoing, Priority, TicketEvent
from bot.store.sqlite.db import SqliteBase, dt, ts
from bot.store.sqlite.events import add_event


async def enqueue_in(db: aiosqlite.Connection, message: Outgoing, now: datetime) -> None:
    """Queue one message inside the caller's transaction (folding card refreshes/collapses)."""
    payload = {
        "text": message.text,
        "buttons": [[list(b) for b in row] for row in message.buttons],
        "photo": message.photo,
        "card": message.card,
        "photos": list(message.photos),
        "collapse": message.collapse,
    }
    body = json.dumps(payload, ensure_ascii=False)
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
        "INSERT INTO outbox (chat_id, ticket_id, payload, next_attempt_at, created_at,"
        " priority) VALUES (?, ?, ?, ?, ?, ?)",
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
        rows = await self._fetchall(
            "SELECT o.id, o.chat_id, o.ticket_id, o.payload, o.attempts, o.status, o.priority"
            " FROM (SELECT id, priority, next_attempt_at, ROW_NUMBER() OVER"
            " (PARTITION BY chat_id ORDER BY priority, id) AS place FROM outbox"
            " WHERE status = 'pending' AND (attempts > 0 OR next_attempt_at <= ?)) AS head"
            " JOIN outbox AS o ON o.id = head.id"
            " WHERE head.place = 1 AND head.next_attempt_at <= ?"
            " ORDER BY head.priority, head.id LIMIT ?",
            (ts(now), ts(now), limit),
        )
        return [_outbox_item(r) for r in rows]

    async def due_outbox_of_chat(self, chat_id: int, now: datetime) -> OutboxItem | None:
        """One chat's next message (as ``due_outbox`` picks it), if its next attempt is due."""
        row = await self._fetchone(
            "SELECT id, chat_id, ticket_id, payload, attempts, status, priority, next_attempt_at"
            " FROM outbox WHERE chat_id = ? AND status = 'pending'"
            " AND (attempts > 0 OR next_attempt_at <= ?) ORDER BY priority, id LIMIT 1",
            (chat_id, ts(now)),
        )
        if row is None or row["next_attempt_at"] > ts(now):
            return None
        return _outbox_item(row)

    async def next_outbox_due(self) -> datetime | None:
        """When the earliest pending message is due, or None when nothing is pending."""
        row = await self._fetchone(
            "SELECT MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending'"
        )
        return dt(row["due"]) if row and row["due"] else None

    async def outbox_sent(self, item_id: int, message_id: int | None, now: datetime) -> None:
        """Mark a message delivered."""
        await self._write(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
            " attempts = attempts + 1 WHERE id = ?",
            (ts(now), message_id, item_id),
        )

    async def outbox_retry(self, item_id: int, at: datetime, error: str) -> None:
        """Schedule another attempt after a transient failure."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (ts(at), error[:500], item_id),
            )

    async def outbox_failed(self, item_id: int, error: str, now: datetime) -> None:
        """Give up on a message for good (blocked bot, chat gone) and note it on its ticket."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?"
                " WHERE id = ?",
                (error[:500], item_id),
            )
            row = await (
                await db.execute("SELECT ticket_id, chat_id FROM outbox WHERE id = ?", (item_id,))
            ).fetchone()
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
        rows = await self._fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}


def _outbox_item(r: aiosqlite.Row) -> OutboxItem:
    """An outbox row as the message it holds."""
    payload = json.loads(r["payload"])
    message = Outgoing(
        chat_id=r["chat_id"],
        text=payload["text"],
        buttons=tuple(tuple((b[0], b[1]) for b in row) for row in payload["buttons"]),
        photo=payload.get("photo"),
        ticket_id=r["ticket_id"],
        card=payload.get("card"),
        photos=tuple(payload.get("photos") or ()),
        priority=Priority(r["priority"]),
        collapse=payload.get("collapse"),
    )
    return OutboxItem(r["id"], message, r["attempts"], r["status"])
