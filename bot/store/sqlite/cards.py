"""Ticket cards in SQLite: which message in which chat shows a ticket."""

from __future__ import annotations

from bot.store import sql
from bot.store.sqlite.db import SqliteBase


class SqliteCards(SqliteBase):
    """CardStore over SQLite."""

    async def card_message(self, ticket_id: int, chat_id: int) -> int | None:
        """The message id of a ticket's card in a chat, if one was sent."""
        row = await self._fetchone(sql.CARD_MESSAGE, (ticket_id, chat_id))
        return int(row["message_id"]) if row else None

    async def card_chats(self, ticket_id: int) -> list[tuple[int, str]]:
        """Every chat holding a card of the ticket, with its audience ("staff" or "group")."""
        rows = await self._fetchall(
            "SELECT chat_id, audience FROM cards WHERE ticket_id = ? ORDER BY rowid", (ticket_id,)
        )
        return [(int(r["chat_id"]), str(r["audience"])) for r in rows]

    async def save_card(self, ticket_id: int, chat_id: int, message_id: int, audience: str) -> None:
        """Remember where a ticket's card is, so later changes edit it."""
        async with self._tx() as db:
            await db.execute(sql.SAVE_CARD, (ticket_id, chat_id, message_id, audience))

    async def ticket_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a bot message in a chat belongs to (a card or a ticket notification)."""
        row = await self._fetchone(
            sql.TICKET_OF_MESSAGE, (chat_id, message_id, chat_id, message_id)
        )
        return int(row["ticket_id"]) if row else None
