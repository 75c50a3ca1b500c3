"""Conversations in SQLite: each chat's flow state, one row per chat.

The store's calls are ``bot.store.reads.CommonConversations``; what stays here ends a
conversation inside a ticket's transaction."""

from __future__ import annotations

import aiosqlite

from bot.store import sql


async def end_conversation_in(db: aiosqlite.Connection, chat_id: int, token: str) -> bool:
    """Delete the chat's conversation with ``token`` inside the caller's transaction; True if
    it was there (the change it led to may go ahead)."""
    cursor = await db.execute(sql.END_CONVERSATION, (chat_id, token))
    return cursor.rowcount > 0
