"""The web dashboard's reads and sign-ins over PostgreSQL (statements in bot.store.dashboard)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.store import dashboard as d
from bot.store.dashboard import BoardPage, BoardQuery, LoginUse, WebSession
from bot.store.postgres.db import PgBase, pg
from bot.store.rows import as_is, ticket_of

# Spent and expired links are kept a day, so a second click is told "used", not "unknown".
_KEEP_USED = timedelta(days=1)


def _in_list(column: str, values: list[str]) -> tuple[str, list[Any]]:
    return f"{column} = ANY(?::text[])", [list(values)]


def _moment(value: datetime) -> datetime:
    return value


class PgDashboard(PgBase):
    """BoardReads and WebAuthStore over PostgreSQL."""

    async def board_tickets(self, query: BoardQuery, now: datetime) -> BoardPage:
        """A page of matching tickets, the most pressing first, and the total."""
        q = d.board_sql(query, now, _in_list, _moment)
        if q.reads_text:
            ids = [int(r["id"]) for r in await self._fetch(q.all_ids, *q.params)]
            chosen = ids[query.offset : query.offset + query.limit]
            rows = await self._fetch(f"{q.rows} WHERE t.id = ANY(?::bigint[]){q.order}", chosen)
            return BoardPage([ticket_of(r, as_is) for r in rows], len(ids))
        rows = await self._fetch(q.page, *q.params, query.limit, query.offset)
        total = await self._fetchrow(q.count, *q.params)
        return BoardPage([ticket_of(r, as_is) for r in rows], int(total["n"]) if total else 0)

    async def add_login(
        self, token_hash: str, telegram_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Store a login link's hash; prune links that expired over a day ago."""
        async with self._tx() as db:
            await db.execute(pg(d.PRUNE_LOGINS), now - _KEEP_USED)
            await db.execute(pg(d.ADD_LOGIN), token_hash, telegram_id, now, expires_at)

    async def use_login(self, token_hash: str, now: datetime) -> tuple[LoginUse, int | None]:
        """Spend a login link once (the UPDATE's row lock makes one of two callers win)."""
        async with self._tx() as db:
            row = await db.fetchrow(pg(d.USE_LOGIN), now, token_hash, now)
            if row is not None:
                return "ok", int(row["telegram_id"])
            state = await db.fetchrow(pg(d.LOGIN_STATE), token_hash)
        if state is None:
            return "unknown", None
        return ("used" if state["used_at"] else "expired"), None

    async def add_session(
        self, session_hash: str, telegram_id: int, csrf: str, now: datetime
    ) -> None:
        """Start a browser session."""
        await self._execute(d.ADD_SESSION, session_hash, telegram_id, csrf, now, now)

    async def touch_session(
        self, session_hash: str, now: datetime, idle_since: datetime
    ) -> WebSession | None:
        """The session if still live, marked seen now."""
        async with self._tx() as db:
            row = await db.fetchrow(pg(d.TOUCH_SESSION), now, session_hash, idle_since)
            if row is None:
                await db.execute(pg(d.PRUNE_SESSIONS), idle_since)
                return None
        return WebSession(int(row["telegram_id"]), str(row["csrf"]))

    async def end_session(self, session_hash: str) -> None:
        """Sign out."""
        await self._execute(d.END_SESSION, session_hash)
