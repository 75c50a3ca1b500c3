"""Conversations in SQLite: each chat's flow state, one row per chat."""

from __future__ import annotations

import aiosqlite

from bot.store import sql
from bot.store.reads import CommonConversations
from bot.store.sqlite.db import SqliteBase


async def end_conversation_in(db: aiosqlite.Connection, chat_id: int, token: str) -> bool:
    """Delete the chat's conversation with ``token`` inside the caller's transaction; True if
    it was there (the change it led to may go ahead)."""
    cursor = await db.execute(sql.END_CONVERSATION, (chat_id, token))
    return cursor.rowcount > 0


class SqliteConversations(SqliteBase, CommonConversations):
    """ConversationStore over SQLite."""
