"""The dashboard's aiohttp application and server: routes, pages, security headers, /healthz.

Runs in the bot's own event loop when ``web.listen`` is set (``BotRuntime``), or alone with
``python -m bot web`` against the same database (``bot.web.standalone``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.desk.dashboard import DashboardLogins
from bot.desk.incidents import IncidentDesk
from bot.desk.surveys import SurveyJobs
from bot.desk.tickets import TicketDesk
from bot.web.actions import WebActions
from bot.web.api import Api
from bot.web.auth import SESSION_COOKIE, WebAuth
from bot.web.incidents import IncidentsApi
from bot.web.notices import NoticesApi
from bot.web.photos import PhotoSource
from bot.web.reports import ReportsApi

log = logging.getLogger(__name__)
# What GET /healthz reports when the dashboard runs in the bot process (bot.tg.health).
Health = Callable[[], Awaitable[dict[str, Any]]]

_HERE = Path(__file__).parent
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
# Telegram shows a Mini App in a frame of its web client; no other site may frame us.
_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self';"
    " connect-src 'self'; frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer; an unexpected error is a 500 without a traceback."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _secure(exc)
        raise
    except Exception:
        log.exception("dashboard: %s %s failed", request.method, request.path)
        response = web.json_response({"error": "internal", "message": "internal error"}, status=500)
    _secure(response)
    return response


def _secure(response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")


class Pages:
    """The HTML pages (the data comes from the API) and the login link's landing."""

    def __init__(
        self, desk: TicketDesk, logins: DashboardLogins, health: Health | None = None
    ) -> None:
        self.desk = desk
        self.logins = logins
        self.services = desk.services
        self.health = health

    def routes(self) -> list[web.RouteDef]:
        """The page routes."""
        return [
            web.get("/", self.home),
            web.get("/board", self.board),
            web.get("/ticket/{number}", self.ticket),
            web.get("/reports", self.reports),
            web.get("/duty", self.duty),
            web.get("/notices", self.notices),
            web.get("/incidents", self.incidents),
            web.get("/login/{token}", self.login),
            web.post("/logout", self.logout),
            web.get("/healthz", self.healthz),
        ]

    def _page(self, template: str, status: int = 200, **values: object) -> web.Response:
        lang = self.services.settings.default_language
        html = _TEMPLATES.get_template(template).render(lang=lang, **values)
        return web.Response(text=html, content_type="text/html", status=status)

    async def home(self, request: web.Request) -> web.Response:
        """/ → the board (keeping Telegram's #tgWebAppData fragment, which browsers keep)."""
        raise web.HTTPFound("/board")

    async def board(self, request: web.Request) -> web.Response:
        """The board's page."""
        return self._page("board.html", page="board", number="")

    async def ticket(self, request: web.Request) -> web.Response:
        """A ticket's page."""
        number = request.match_info["number"][:40]
        return self._page("ticket.html", page="ticket", number=number)

    async def reports(self, request: web.Request) -> web.Response:
        """The reports page."""
        return self._page("reports.html", page="reports", number="")

    async def duty(self, request: web.Request) -> web.Response:
        """The duty page."""
        return self._page("duty.html", page="duty", number="")

    async def notices(self, request: web.Request) -> web.Response:
        """The notices page (supervisors and admins)."""
        return self._page("notices.html", page="notices", number="")

    async def incidents(self, request: web.Request) -> web.Response:
        """The incidents page."""
        return self._page("incidents.html", page="incidents", number="")

    async def login(self, request: web.Request) -> web.Response:
        """A one-time login link: start a session and go to the board, or say why not."""
        outcome, session = await self.logins.redeem(request.match_info["token"])
        lang = self.services.settings.default_language
        if session is None:
            text = self.services.catalog.text(lang, f"web.login_{outcome}")
            return self._page("message.html", status=403, page="message", message=text)
        response = web.HTTPSeeOther("/board")
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            httponly=True,
            samesite="Lax",
            secure=self.services.settings.web.https,
            path="/",
        )
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        """Sign out: the session ends on the server, the cookie goes."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await self.logins.end(token)
        response = web.HTTPSeeOther("/board")
        response.del_cookie(SESSION_COOKIE, path="/")
        raise response

    async def healthz(self, request: web.Request) -> web.Response:
        """Liveness without sign-in: is the database reachable? In the bot process, the whole
        report of ``bot.tg.health`` (role among replicas, outbox backlog, oldest update)."""
        if self.health is not None:
            report = await self.health()
            return web.json_response(report, status=200 if report.get("ok") else 503)
        try:
            await self.services.store.last_handled_update()
            database = True
        except Exception:  # whatever the driver raises, the answer is "not reachable"
            log.warning("healthz: database check failed", exc_info=True)
            database = False
        return web.json_response(
            {"ok": database, "database": database}, status=200 if database else 503
        )


def build_web_app(
    desk: TicketDesk,
    surveys: SurveyJobs,
    bot_token: str,
    photos: PhotoSource | None,
    health: Health | None = None,
    incidents: IncidentDesk | None = None,
) -> web.Application:
    """The dashboard's aiohttp application over a running desk (and its incident desk: the
    bot's own when the dashboard runs in the bot process)."""
    logins = DashboardLogins(desk.services)
    auth = WebAuth(desk, logins, bot_token)
    api = Api(desk, auth, WebActions(desk, surveys), photos)
    app = web.Application(middlewares=[_headers], client_max_size=64 * 1024)
    app.add_routes(Pages(desk, logins, health).routes())
    app.add_routes(api.routes())
    app.add_routes(ReportsApi(desk, auth).routes())
    app.add_routes(NoticesApi(desk, auth).routes())
    app.add_routes(IncidentsApi(incidents or IncidentDesk(desk.services, desk), auth).routes())
    app.router.add_static("/static", _HERE / "static", append_version=True)
    return app


class WebServer:
    """The dashboard listening on host:port in the current event loop."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.runner = web.AppRunner(app, access_log=None)
        self.host = host
        self.port = port

    async def start(self) -> None:
        """Bind and serve."""
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        addresses = self.runner.addresses
        if addresses:
            self.port = int(addresses[0][1])  # port 0 in tests: the one the system picked
        log.info("dashboard: listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop serving."""
        await self.runner.cleanup()
