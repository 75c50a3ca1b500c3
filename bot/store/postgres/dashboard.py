"""The web dashboard's reads and sign-ins over PostgreSQL (statements in bot.store.dashboard)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store import dashboard as d
from bot.store.dashboard import LoginUse, WebSession
from bot.store.postgres.db import PgBase, pg
from bot.store.reads_web import CommonDashboard

# Spent and expired links are kept a day, so a second click is told "used", not "unknown".
_KEEP_USED = timedelta(days=1)


class PgDashboard(PgBase, CommonDashboard):
    """BoardReads and WebAuthStore over PostgreSQL."""

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
