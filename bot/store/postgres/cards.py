"""Ticket cards in PostgreSQL: which message in which chat shows a ticket."""

from __future__ import annotations

from bot.store.postgres.db import PgBase
from bot.store.reads import CommonCards


class PgCards(PgBase, CommonCards):
    """CardStore over PostgreSQL."""

    async def card_chats(self, ticket_id: int) -> list[tuple[int, str]]:
        """Every chat holding a card of the ticket, with its audience ("staff" or "group")."""
        rows = await self._fetch(
            "SELECT chat_id, audience FROM cards WHERE ticket_id = ? ORDER BY seq", ticket_id
        )
        return [(int(r["chat_id"]), str(r["audience"])) for r in rows]
