"""Who is asking: a Mini App's signed initData (``Authorization: tma …``) or a session cookie.

401 when nothing proves who it is; 403 when it is someone who may not use the dashboard
(owners, strangers, anyone no longer on the staff list). State-changing requests from a
session must carry its CSRF token and come from our own origin.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import StaffMember
from bot.core.actions import Actor, actor_for
from bot.desk.dashboard import DashboardLogins
from bot.desk.tickets import TicketDesk
from bot.web.errors import fail
from bot.web.initdata import InitDataError, validate_init_data

log = logging.getLogger(__name__)

SESSION_COOKIE = "estatedesk_session"
CSRF_HEADER = "X-CSRF-Token"
MANAGERS = frozenset({"supervisor", "admin"})


@dataclass(frozen=True)
class Viewer:
    """A signed-in staff member and what they may do on the dashboard."""

    member: StaffMember
    actor: Actor
    lang: str
    csrf: str | None  # None: signed in by initData (no cookie, so no cross-site risk)

    @property
    def telegram_id(self) -> int:
        """Their Telegram id."""
        return self.member.telegram_id

    @property
    def manages(self) -> bool:
        """Supervisors and admins see their patch and act; plain staff read their own queue."""
        return self.member.role in MANAGERS


class WebAuth:
    """Turns a request into a Viewer, or refuses it."""

    def __init__(self, desk: TicketDesk, logins: DashboardLogins, bot_token: str) -> None:
        self.desk = desk
        self.logins = logins
        self.bot_token = bot_token
        self.services = desk.services

    def t(self, lang: str, key: str, **params: object) -> str:
        """A catalog text."""
        return self.services.catalog.text(lang, key, **params)

    async def viewer(self, request: web.Request) -> Viewer:
        """The staff member behind a request; 401/403 (JSON) otherwise."""
        lang = self.services.settings.default_language
        header = request.headers.get("Authorization", "")
        csrf: str | None = None
        if header:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "tma":
                raise fail(401, "unauthorized", self.t(lang, "web.unauthorized"))
            web_settings = self.services.settings.web
            try:
                user = validate_init_data(
                    raw.strip(),
                    self.bot_token,
                    self.services.clock(),
                    web_settings.init_data_max_age,
                )
            except InitDataError as exc:
                log.info("dashboard: initData refused (%s) from %s", exc, request.remote)
                raise fail(401, "unauthorized", self.t(lang, "web.unauthorized")) from None
            telegram_id = user.telegram_id
        else:
            token = request.cookies.get(SESSION_COOKIE, "")
            session = await self.logins.session(token) if token else None
            if session is None:
                raise fail(401, "unauthorized", self.t(lang, "web.unauthorized"))
            telegram_id, csrf = session.telegram_id, session.csrf
        member = self.logins.may_sign_in(telegram_id)
        if member is None:
            if csrf is not None:  # left the staff list: the session ends with it
                await self.logins.end(request.cookies.get(SESSION_COOKIE, ""))
            raise fail(403, "forbidden", self.t(lang, "web.forbidden"))
        lang = await self.desk.lang_of(telegram_id)
        actor = actor_for(self.services.settings, telegram_id)
        return Viewer(member, actor, lang, csrf)

    def check_write(self, request: web.Request, viewer: Viewer) -> None:
        """A state-changing request: JSON, from our origin, with the session's CSRF token."""
        if request.content_type != "application/json":
            # A cross-site form cannot send JSON without a preflight we never allow.
            raise fail(415, "json_only", self.t(viewer.lang, "web.json_only"))
        if viewer.csrf is None:
            return
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, viewer.csrf) or not self._same_origin(request):
            log.warning("dashboard: cross-site or forged request by %s refused", viewer.telegram_id)
            raise fail(403, "csrf", self.t(viewer.lang, "web.csrf"))

    def _same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            # Browsers send Origin on every cross-site POST; same-site fetches may omit it.
            return request.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"
        allowed = {f"{request.scheme}://{request.host}"}
        public = self.services.settings.web.public_url
        if public:
            parts = urlsplit(public)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        return origin in allowed
