"""Signing in to the web dashboard: one-time login links and browser sessions.

Channel-neutral: Telegram's /dashboard asks for a link, the web redeems it for a session. Only
SHA-256 hashes of links and sessions are stored, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from bot.config import StaffMember
from bot.desk.context import DeskServices
from bot.store.dashboard import LoginUse, WebSession


def token_hash(token: str) -> str:
    """What is stored of a link or session token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    """A session just started: the cookie's value, and the token state changes must carry."""

    token: str
    csrf: str
    telegram_id: int


class DashboardLogins:
    """Issuing and redeeming login links; starting, checking and ending sessions."""

    def __init__(self, services: DeskServices) -> None:
        self.services = services

    def may_sign_in(self, telegram_id: int) -> StaffMember | None:
        """The staff entry of someone who may use the dashboard at all (owners may not)."""
        return self.services.settings.staff_member(telegram_id)

    async def issue_link(self, telegram_id: int) -> str | None:
        """A one-time login URL for a staff member; None when the dashboard has no address."""
        public_url = self.services.settings.web.public_url
        if public_url is None or self.may_sign_in(telegram_id) is None:
            return None
        token = secrets.token_urlsafe(32)
        now = self.services.clock()
        ttl = self.services.settings.web.login_link_ttl
        await self.services.store.add_login(token_hash(token), telegram_id, now, now + ttl)
        return f"{public_url}/login/{token}"

    async def redeem(self, token: str) -> tuple[LoginUse, NewSession | None]:
        """Spend a link once and start a session for its (still listed) staff member."""
        if not 20 <= len(token) <= 100:
            return "unknown", None
        store = self.services.store
        outcome, telegram_id = await store.use_login(token_hash(token), self.services.clock())
        if outcome != "ok" or telegram_id is None:
            return outcome, None
        if self.may_sign_in(telegram_id) is None:
            return "unknown", None
        session = NewSession(secrets.token_urlsafe(32), secrets.token_urlsafe(24), telegram_id)
        await store.add_session(
            token_hash(session.token), telegram_id, session.csrf, self.services.clock()
        )
        return "ok", session

    async def session(self, token: str) -> WebSession | None:
        """The live session of a cookie (seen now), or None if unknown or idle too long."""
        if not 20 <= len(token) <= 100:
            return None
        now = self.services.clock()
        idle_since = now - self.services.settings.web.session_idle
        return await self.services.store.touch_session(token_hash(token), now, idle_since)

    async def end(self, token: str) -> None:
        """Sign out (or drop the session of someone who left the staff list)."""
        await self.services.store.end_session(token_hash(token))
