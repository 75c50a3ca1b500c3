"""Conversations in PostgreSQL: each chat's flow state, one row per chat."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

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

    async def save_conversation(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Write a chat's flow state (called after every step)."""
        await self._execute(
            sql.SAVE_CONVERSATION,
            chat_id,
            user_id,
            state["flow"],
            state["token"],
            json.dumps(state, ensure_ascii=False),
            now,
        )

    async def stash_draft(
        self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime
    ) -> None:
        """Keep a cancelled conversation's state so it can be restored (one per chat)."""
        text = json.dumps(state, ensure_ascii=False)
        await self._execute(sql.STASH_DRAFT, chat_id, user_id, text, now)

    async def take_draft(self, chat_id: int, since: datetime) -> dict[str, Any] | None:
        """Remove a chat's stashed draft; its state if it was stashed at or after ``since``."""
        row = await self._fetchrow(sql.TAKE_DRAFT, chat_id)
        if row is None or row["saved_at"] < since:
            return None
        return dict(json.loads(row["state"]))

    async def delete_conversation(self, chat_id: int, token: str | None = None) -> bool:
        """End a chat's flow (only the one with ``token``, when given); True if one ended."""
        touched = await self._execute(
            sql.DELETE_CONVERSATION,
            chat_id,
            token,
            token,
        )
        return touched > 0
