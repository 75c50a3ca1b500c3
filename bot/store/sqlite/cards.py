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
