"""Digest cards in PostgreSQL: which group message lists which tickets (bot.core.digest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.core.digest import Digest, DigestLine
from bot.store.postgres.db import PgBase, pg
from bot.store.sqlite.digests import ABSORB, SAVE_LINE

_LINES = (
    "SELECT ticket_id, is_open, added_at FROM digest_lines"
    " WHERE chat_id = ? AND message_id = ? ORDER BY position"
)
# As on SQLite (bot.store.sqlite.digests.WAITING), with PostgreSQL's JSON operator.
WAITING = (
    "SELECT o.id, o.ticket_id FROM outbox AS o"
    " WHERE o.status = 'pending' AND o.chat_id = ? AND o.ticket_id IS NOT NULL"
    " AND o.next_attempt_at <= ? AND o.payload->>'card' = 'group'"
    " AND NOT EXISTS (SELECT 1 FROM cards AS c WHERE c.ticket_id = o.ticket_id"
    " AND c.chat_id = o.chat_id AND c.audience <> 'left')"
    " AND NOT EXISTS (SELECT 1 FROM digest_lines AS d WHERE d.ticket_id = o.ticket_id"
    " AND d.chat_id = o.chat_id AND d.is_open = 1)"
    " ORDER BY o.id LIMIT ?"
)


class PgDigests(PgBase):
    """DigestStore over PostgreSQL."""

    async def digest_of(self, ticket_id: int, chat_id: int) -> Digest | None:
        """The digest in a chat holding the ticket's open line, with all its lines; or None."""
        row = await self._fetchrow(
            "SELECT message_id FROM digest_lines WHERE ticket_id = ? AND chat_id = ?"
            " AND is_open = 1"
            " ORDER BY message_id DESC LIMIT 1",
            ticket_id,
            chat_id,
        )
        return None if row is None else await self._digest(chat_id, int(row["message_id"]))

    async def digest_chats(self, ticket_id: int) -> list[int]:
        """The chats where the ticket is an open line of a digest."""
        rows = await self._fetch(
            "SELECT DISTINCT chat_id FROM digest_lines WHERE ticket_id = ? AND is_open = 1",
            ticket_id,
        )
        return [int(r["chat_id"]) for r in rows]

    async def latest_digest(self, chat_id: int) -> Digest | None:
        """The chat's newest digest (the highest message id), with its lines; or None."""
        row = await self._fetchrow(
            "SELECT MAX(message_id) AS m FROM digest_lines WHERE chat_id = ?", chat_id
        )
        if row is None or row["m"] is None:
            return None
        return await self._digest(chat_id, int(row["m"]))

    async def _digest(self, chat_id: int, message_id: int) -> Digest:
        rows = await self._fetch(_LINES, chat_id, message_id)
        return Digest(chat_id, message_id, tuple(_line(r) for r in rows))

    async def waiting_group_cards(
        self, chat_id: int, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """New tickets' group cards still pending for the chat, oldest first."""
        rows = await self._fetch(WAITING, chat_id, now, limit)
        return [(int(r["id"]), int(r["ticket_id"])) for r in rows]

    async def pending_card_rows(self, chat_id: int, ticket_ids: Sequence[int]) -> list[int]:
        """The chat's pending card messages of these tickets, oldest first."""
        ids = list(dict.fromkeys(ticket_ids))
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        query = (
            "SELECT id FROM outbox WHERE status = 'pending' AND chat_id = ?"
            f" AND ticket_id IN ({marks}) AND payload->>'card' IS NOT NULL"
            " ORDER BY id"
        )
        rows = await self._fetch(query, chat_id, *ids)
        return [int(r["id"]) for r in rows]

    async def save_digest(
        self,
        chat_id: int,
        message_id: int,
        lines: Sequence[tuple[int, bool]],
        absorbed: Sequence[int],
        now: datetime,
    ) -> None:
        """The digest's lines and the outbox messages it absorbed, in one transaction."""
        async with self._tx() as db:
            for position, (ticket_id, is_open) in enumerate(lines):
                await db.execute(
                    pg(SAVE_LINE), chat_id, message_id, ticket_id, position, int(is_open), now
                )
            for item_id in absorbed:
                await db.execute(pg(ABSORB), now, item_id)

    async def drop_digest(self, chat_id: int, message_id: int) -> None:
        """Forget a digest whose message is gone."""
        await self._execute(
            "DELETE FROM digest_lines WHERE chat_id = ? AND message_id = ?", chat_id, message_id
        )


def _line(row: asyncpg.Record) -> DigestLine:
    return DigestLine(int(row["ticket_id"]), bool(row["is_open"]), row["added_at"])
