"""The outbox in PostgreSQL: messages queued with the change that caused them, then delivered.

``due_outbox`` only reads (as on SQLite). With several replicas on one database each worker
claims what it is about to send (``outbox_claim``: ``FOR UPDATE SKIP LOCKED``, the claimer
named in ``claimed_by``), so a message goes out once; a claim held by a replica that died
(``bot.store.postgres.replicas``) is free again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.models import Outgoing, TicketEvent
from bot.store import sql
from bot.store.postgres.db import PgBase, pg, rowcount
from bot.store.postgres.events import add_event
from bot.store.postgres.replicas import ALIVE
from bot.store.reads import CommonOutbox
from bot.store.sqlite.outbox import message_body

if TYPE_CHECKING:
    from bot.store.postgres.db import Conn

# The class of the advisory locks that make a chat's folding check-then-insert atomic.
FOLD_LOCK = 0x4544


def _chat_key(chat_id: int) -> int:
    """A chat id folded into the int4 an advisory lock key takes."""
    return (chat_id + 2**31) % 2**32 - 2**31


async def enqueue_in(db: Conn, messages: Sequence[Outgoing], now: datetime) -> None:
    """Queue messages inside the caller's transaction (folding card refreshes/collapses).

    Call it last in a transaction: it may wait for other writers to the same chats, and as a
    transaction holding a chat's lock then waits only for other chats' locks (taken in key
    order), never for a row, no two writers can wait for each other.
    """
    # SQLite runs one writer at a time; here two transactions could both find no pending card
    # and both insert one. A lock per chat, taken in key order, serialises the check.
    folding = sorted(
        {_chat_key(m.chat_id) for m in messages if m.card is not None or m.collapse is not None}
    )
    for key in folding:
        await db.execute("SELECT pg_advisory_xact_lock($1::int4, $2::int4)", FOLD_LOCK, key)
    for message in messages:
        await _enqueue_one(db, message, now)


async def _enqueue_one(db: Conn, message: Outgoing, now: datetime) -> None:
    body = message_body(message)
    if message.card is not None and message.ticket_id is not None:
        # A card is drawn from the ticket when it is sent, so one pending refresh per
        # ticket and chat shows the latest state; more would only spend the rate limit.
        pending = await db.fetchrow(
            "SELECT 1 FROM outbox WHERE status = 'pending' AND chat_id = $1 AND ticket_id = $2"
            " AND payload->>'card' IS NOT NULL LIMIT 1",
            message.chat_id,
            message.ticket_id,
        )
        if pending is not None:
            return
    if message.collapse is not None:
        # Only one still waiting for its time: one being delivered keeps what it says.
        status = await db.execute(
            "UPDATE outbox SET payload = $1 WHERE status = 'pending' AND attempts = 0"
            " AND chat_id = $2 AND ticket_id IS NOT DISTINCT FROM $3 AND next_attempt_at > $4"
            " AND payload->>'collapse' = $5",
            body,
            message.chat_id,
            message.ticket_id,
            now,
            message.collapse,
        )
        if rowcount(status):
            return
    due = max(now, message.not_before) if message.not_before is not None else now
    await db.execute(
        pg(sql.INSERT_OUTBOX),
        message.chat_id,
        message.ticket_id,
        body,
        due,
        now,
        int(message.priority),
    )


class PgOutbox(PgBase, CommonOutbox):
    """OutboxStore over PostgreSQL."""

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime) -> None:
        """Queue messages for delivery (on their own; state changes enqueue in their own tx)."""
        async with self._tx() as db:
            await enqueue_in(db, messages, now)

    async def outbox_retry(self, item_id: int, at: datetime, error: str) -> None:
        """Schedule another attempt after a transient failure (any replica may make it)."""
        await self._execute(_OUTBOX_RETRY, at, error[:500], item_id)

    async def outbox_claim(self, item_ids: Sequence[int], holder: str) -> set[int]:
        """Claim pending messages for ``holder``; returns the ids it won. One already claimed
        by a live replica (or locked by a racing claim) is skipped, never waited for."""
        rows = await self._pool.fetch(
            "WITH c AS (SELECT o.id FROM outbox o WHERE o.id = ANY($2::bigint[])"
            " AND o.status = 'pending' AND (o.claimed_by IS NULL OR NOT EXISTS"
            " (SELECT 1 FROM replicas r WHERE r.id = o.claimed_by"
            " AND r.seen_at > now() - $3::interval)) FOR UPDATE OF o SKIP LOCKED)"
            " UPDATE outbox SET claimed_by = $1 FROM c WHERE outbox.id = c.id"
            " RETURNING outbox.id",
            holder,
            list(item_ids),
            ALIVE,
        )
        return {int(r["id"]) for r in rows}

    async def outbox_release(self, holder: str, item_id: int | None = None) -> None:
        """Give back a claim of ``holder`` (one message, or all when stopping)."""
        await self._pool.execute(
            "UPDATE outbox SET claimed_by = NULL WHERE claimed_by = $1"
            " AND ($2::bigint IS NULL OR id = $2)",
            holder,
            item_id,
        )

    async def outbox_failed(self, item_id: int, error: str, now: datetime) -> None:
        """Give up on a message for good (blocked bot, chat gone) and note it on its ticket."""
        async with self._tx() as db:
            row = await db.fetchrow(pg(sql.OUTBOX_FAILED), error[:500], item_id)
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


# As SQLite's, and the claim is given back: the next attempt may be another replica's.
_OUTBOX_RETRY = (
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,"
    " claimed_by = NULL WHERE id = ?"
)
