"""Ticket cards in SQLite: which message in which chat shows a ticket."""

from __future__ import annotations

from bot.store.reads import CommonCards
from bot.store.sqlite.db import SqliteBase


class SqliteCards(SqliteBase, CommonCards):
    """CardStore over SQLite."""

    async def card_chats(self, ticket_id: int) -> list[tuple[int, str]]:
        """Every chat holding a card of the ticket, with its audience ("staff" or "group")."""
        rows = await self._fetchall(
            "SELECT chat_id, audience FROM cards WHERE ticket_id = ? ORDER BY rowid", (ticket_id,)
        )
        return [(int(r["chat_id"]), str(r["audience"])) for r in rows]

    async def sent_card(self, chat_id: int, card: str) -> int | None:
        """Where a non-ticket card (a follow-up card) stands in a chat: its latest delivery."""
        row = await self._fetchone(
            "SELECT message_id FROM outbox WHERE status = 'sent' AND chat_id = ?"
            " AND message_id IS NOT NULL AND json_extract(payload, '$.card') = ?"
            " ORDER BY id DESC LIMIT 1",
            (chat_id, card),
        )
        return int(row["message_id"]) if row else None

    async def card_of_message(self, chat_id: int, message_id: int) -> str | None:
        """The card a delivered message carried (a reply to it goes where the card says)."""
        row = await self._fetchone(
            "SELECT json_extract(payload, '$.card') AS card FROM outbox"
            " WHERE chat_id = ? AND message_id = ? AND status = 'sent' ORDER BY id LIMIT 1",
            (chat_id, message_id),
        )
        return str(row["card"]) if row and row["card"] is not None else None
