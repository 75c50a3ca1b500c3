"""The web dashboard's reads and sign-ins over SQLite (statements in bot.store.dashboard)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store import dashboard as d
from bot.store.dashboard import LoginUse, WebSession
from bot.store.reads_web import CommonDashboard
from bot.store.sqlite.db import SqliteBase, ts

# Spent and expired links are kept a day, so a second click is told "used", not "unknown".
_KEEP_USED = timedelta(days=1)


class SqliteDashboard(SqliteBase, CommonDashboard):
    """BoardReads and WebAuthStore over SQLite."""

    async def add_login(
        self, token_hash: str, telegram_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Store a login link's hash; prune links that expired over a day ago."""
        async with self._tx() as db:
            await db.execute(d.PRUNE_LOGINS, (ts(now - _KEEP_USED),))
            await db.execute(d.ADD_LOGIN, (token_hash, telegram_id, ts(now), ts(expires_at)))

    async def use_login(self, token_hash: str, now: datetime) -> tuple[LoginUse, int | None]:
        """Spend a login link once."""
        async with self._tx() as db:
            row = await (await db.execute(d.USE_LOGIN, (ts(now), token_hash, ts(now)))).fetchone()
            if row is not None:
                return "ok", int(row["telegram_id"])
            state = await (await db.execute(d.LOGIN_STATE, (token_hash,))).fetchone()
        if state is None:
            return "unknown", None
        return ("used" if state["used_at"] else "expired"), None

    async def touch_session(
        self, session_hash: str, now: datetime, idle_since: datetime
    ) -> WebSession | None:
        """The session if still live, marked seen now."""
        async with self._tx() as db:
            cursor = await db.execute(d.TOUCH_SESSION, (ts(now), session_hash, ts(idle_since)))
            row = await cursor.fetchone()
            if row is None:
                await db.execute(d.PRUNE_SESSIONS, (ts(idle_since),))
                return None
        return WebSession(int(row["telegram_id"]), str(row["csrf"]))
