"""The dashboard's notices: write the form, preview it, send or cancel, see the counts.

The same use cases as ``/notice`` in Telegram (``bot.desk.announcements``): the form is the
same text, refused with the same reasons, and a sent notice is picked up by the bot's notice
loop from the database (also when the dashboard runs alone).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.core.announcements import TEXT_MAX
from bot.desk.announcements import Announcements
from bot.desk.tickets import TicketDesk
from bot.web.auth import Viewer, WebAuth
from bot.web.errors import fail

MAX_FORM = 16_000  # characters of the form (the checks then name the text's length)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


class NoticesApi:
    """GET /api/notices, POST /api/notices (a form → a preview), POST …/{id}/send|cancel."""

    def __init__(self, desk: TicketDesk, auth: WebAuth) -> None:
        self.auth = auth
        self.services = desk.services
        self.notices = Announcements(desk.services)

    def routes(self) -> list[web.RouteDef]:
        """The notices' routes."""
        return [
            web.get("/api/notices", self.recent),
            web.post("/api/notices", self.draft),
            web.post(r"/api/notices/{id:\d{1,12}}/{action:send|cancel}", self.act),
        ]

    def t(self, viewer: Viewer, key: str, **params: object) -> str:
        """A catalog text in the viewer's language."""
        return self.services.catalog.text(viewer.lang, key, **params)

    async def _sender(self, request: web.Request) -> Viewer:
        """The viewer, if they may send notices (supervisors and admins)."""
        viewer = await self.auth.viewer(request)
        refused = self.notices.refusal(viewer.telegram_id)
        if refused is not None:
            raise fail(403, "forbidden", self.t(viewer, f"notice.refused_{refused}"))
        return viewer

    async def recent(self, request: web.Request) -> web.Response:
        """The recent notices in the viewer's patch with their counts, and the form's help."""
        viewer = await self._sender(request)
        return _json(
            {
                "recent": await self.notices.recent(viewer.telegram_id, viewer.lang),
                "hint": self.t(viewer, "notice.form_hint"),
                "send": self.t(viewer, "notice.btn_send"),
                "cancel": self.t(viewer, "notice.btn_cancel"),
            }
        )

    async def draft(self, request: web.Request) -> web.Response:
        """A form: its preview (a stored draft), or why it cannot be sent (400)."""
        viewer = await self._sender(request)
        self.auth.check_write(request, viewer)
        try:
            body = await request.json()
        except ValueError:
            body = None
        form = body.get("form") if isinstance(body, dict) else None
        if not isinstance(form, str):
            raise fail(400, "bad_form", self.t(viewer, "web.bad_action"))
        if len(form) > MAX_FORM:
            said = self.t(viewer, "notice.err_too_long", count=len(form), limit=TEXT_MAX)
            raise fail(400, "bad_form", said)
        draft = await self.notices.draft(viewer.telegram_id, viewer.lang, form)
        if draft.notice is None:
            raise fail(400, "bad_form", draft.text)
        return _json({"id": draft.notice.id, "preview": draft.text})

    async def act(self, request: web.Request) -> web.Response:
        """Send or cancel a draft the viewer wrote; the answer says how it went."""
        viewer = await self._sender(request)
        self.auth.check_write(request, viewer)
        notice_id = int(request.match_info["id"])
        if request.match_info["action"] == "send":
            outcome, _ = await self.notices.confirm(viewer.telegram_id, notice_id)
        else:
            outcome, _ = await self.notices.cancel(viewer.telegram_id, notice_id)
        message = self.t(viewer, f"notice.press_{outcome}")
        status = 200 if outcome in ("sending", "scheduled", "cancelled") else 409
        if outcome in ("gone", "not_yours"):
            status = 404 if outcome == "gone" else 403
        return _json({"outcome": outcome, "message": message}, status=status)
