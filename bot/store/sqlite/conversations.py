"""Conversations in SQLite: each chat's flow state, one row per chat."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from bot.store import sql
from bot.store.reads import CommonConversations
from bot.store.sqlite.db import SqliteBase, dt, ts


async def end_conversation_in(db: aiosqlite.Connection, chat_id: int, token: str) -> bool:
    """Delete the chat's conversation with ``token`` inside the caller's transaction; True if
    it was there (the change it led to may go ahead)."""
    cursor = await db.execute(sql.END_CONVERSATION, (chat_id, token))
    return cursor.rowcount > 0


class SqliteConversations(SqliteBase, CommonConversations):
    """ConversationStore over SQLite."""

    async def save_conversation(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Write a chat's flow state (called after every step)."""
        await self._write(
            sql.SAVE_CONVERSATION,
            (
                chat_id,
                user_id,
                state["flow"],
                state["token"],
                json.dumps(state, ensure_ascii=False),
                ts(now),
            ),
        )

    async def stash_draft(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Keep a cancelled conversation's state so it can be restored (one per chat)."""
        text = json.dumps(state, ensure_ascii=False)
        await self._write(sql.STASH_DRAFT, (chat_id, user_id, text, ts(now)))

    async def take_draft(self, chat_id: int, since: datetime) -> dict[str, Any] | None:
        """Remove a chat's stashed draft; its state if it was stashed at or after ``since``."""
        async with self._tx() as db:
            row = await (await db.execute(sql.TAKE_DRAFT, (chat_id,))).fetchone()
        if row is None or dt(row["saved_at"]) < since:
            return None
        return dict(json.loads(row["state"]))

    async def delete_conversation(self, chat_id: int, token: str | None = None) -> bool:
        """End a chat's flow (only the one with ``token``, when given); True if one ended."""
        async with self._tx() as db:
            cursor = await db.execute(sql.DELETE_CONVERSATION, (chat_id, token, token))
            return cursor.rowcount > 0
