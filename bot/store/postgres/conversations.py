"""Conversations in PostgreSQL: each chat's flow state, one row per chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store import sql
from bot.store.postgres.db import PgBase, pg, rowcount
from bot.store.reads import CommonConversations

if TYPE_CHECKING:
    from bot.store.postgres.db import Conn


async def end_conversation_in(db: Conn, chat_id: int, token: str) -> bool:
    """Delete the chat's conversation with ``token`` inside the caller's transaction; True if
    it was there (the change it led to may go ahead)."""
    status = await db.execute(pg(sql.END_CONVERSATION), chat_id, token)
    return rowcount(status) > 0


class PgConversations(PgBase, CommonConversations):
    """ConversationStore over PostgreSQL."""
