"""Conversations in PostgreSQL: each chat's flow state, one row per chat.

The store's calls are ``bot.store.reads.CommonConversations``; what stays here ends a
conversation inside a ticket's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store import sql
from bot.store.postgres.db import pg, rowcount

if TYPE_CHECKING:
    from bot.store.postgres.db import Conn


async def end_conversation_in(db: Conn, chat_id: int, token: str) -> bool:
    """Delete the chat's conversation with ``token`` inside the caller's transaction; True if
    it was there (the change it led to may go ahead)."""
    status = await db.execute(pg(sql.END_CONVERSATION), chat_id, token)
    return rowcount(status) > 0
