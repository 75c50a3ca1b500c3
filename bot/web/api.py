"""The dashboard's JSON API: who am I, the board, ticket lists and details, actions, photos."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.core.models import Ticket
from bot.core.scope import may_see
from bot.core.ticket_text import TicketText
from bot.desk.tickets import TicketDesk
from bot.store.dashboard import COLUMNS
from bot.web.actions import ActionError, WebActions
from bot.web.auth import Viewer, WebAuth
from bot.web.errors import fail
from bot.web.filters import MAX_QUERY_STRING, BadFilter, board_query
from bot.web.photos import PhotoSource
from bot.web.views import detail, summary

# Catalog keys the pages need in the viewer's language.
_TEXT_PREFIXES = ("web.", "status.", "event.", "field.", "card.btn_", "survey.btn_")
_MAX_BODY = 16 * 1024


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


class Api:
    """The request handlers; every one starts by asking who is there."""

    def __init__(
        self, desk: TicketDesk, auth: WebAuth, actions: WebActions, photos: PhotoSource | None
    ) -> None:
        self.desk = desk
        self.auth = auth
        self.actions = actions
        self.photos = photos
        self.services = desk.services

    def routes(self) -> list[web.RouteDef]:
        """The API's routes."""
        return [
            web.get("/api/me", self.me),
            web.get("/api/board", self.board),
            web.get("/api/tickets", self.tickets),
            web.get("/api/tickets/{number}", self.ticket),
            web.post("/api/tickets/{number}/actions", self.act),
            web.get("/api/tickets/{number}/photos/{index}", self.photo),
        ]

    def t(self, viewer: Viewer, key: str, **params: object) -> str:
        """A catalog text in the viewer's language."""
        return self.services.catalog.text(viewer.lang, key, **params)

    async def _viewer(self, request: web.Request) -> Viewer:
        if len(request.query_string) > MAX_QUERY_STRING:
            lang = self.services.settings.default_language
            raise fail(414, "too_long", self.services.catalog.text(lang, "web.too_long"))
        return await self.auth.viewer(request)

    async def me(self, request: web.Request) -> web.Response:
        """The signed-in person, their texts and the filter choices."""
        viewer = await self._viewer(request)
        settings = self.services.settings
        table = self.services.catalog.texts.get(viewer.lang) or {}
        texts = {k: v for k, v in table.items() if k.startswith(_TEXT_PREFIXES)}

        def named(items: Any) -> list[dict[str, str]]:
            return [{"id": i.id, "name": settings.text(i.name, viewer.lang)} for i in items]

        return _json(
            {
                "telegram_id": viewer.telegram_id,
                "name": viewer.member.name,
                "role": viewer.member.role,
                "manages": viewer.manages,
                "lang": viewer.lang,
                "csrf": viewer.csrf,
                "refresh_seconds": settings.web.refresh_seconds,
                "columns": list(COLUMNS),
                "texts": texts,
                "estates": named(settings.estates),
                "departments": named(settings.departments),
                "categories": named(settings.categories),
                "urgencies": named(settings.urgencies),
                "staff": [{"id": m.telegram_id, "name": m.name} for m in settings.staff],
            }
        )

    def _query(self, viewer: Viewer, request: web.Request, **fixed: str) -> Any:
        args = {**request.query, **fixed}
        try:
            return board_query(self.services.settings, viewer, args)
        except BadFilter as exc:
            raise fail(400, "bad_filter", self.t(viewer, exc.key, **exc.params)) from None

    async def board(self, request: web.Request) -> web.Response:
        """Every column of the board: its count and its first page, the filters applied."""
        viewer = await self._viewer(request)
        if "column" in request.query or "status" in request.query:
            raise fail(400, "bad_filter", self.t(viewer, "web.unknown_filter", name="column"))
        now = self.services.clock()
        text = self.desk.text(viewer.lang)
        columns = []
        for column in COLUMNS:
            query = self._query(viewer, request, column=column)
            page = await self.services.store.board_tickets(query, now)
            columns.append(
                {
                    "id": column,
                    "label": self.t(viewer, f"web.column.{column}"),
                    "total": page.total,
                    "items": [summary(t, text, now) for t in page.tickets],
                }
            )
        return _json({"columns": columns, "now": text.when(now)})

    async def tickets(self, request: web.Request) -> web.Response:
        """One page of tickets matching the filters."""
        viewer = await self._viewer(request)
        query = self._query(viewer, request)
        now = self.services.clock()
        page = await self.services.store.board_tickets(query, now)
        text = self.desk.text(viewer.lang)
        return _json(
            {
                "total": page.total,
                "page": query.offset // query.limit + 1,
                "per_page": query.limit,
                "items": [summary(t, text, now) for t in page.tickets],
            }
        )

    async def _ticket(self, viewer: Viewer, number: str) -> Ticket:
        number = number.strip().upper()
        ticket = (
            await self.services.store.get_ticket_by_number(number) if len(number) < 40 else None
        )
        if ticket is None or not self._may_see(viewer, ticket):
            # Someone else's ticket reads as missing: its existence is not for them either.
            raise fail(404, "not_found", self.t(viewer, "web.not_found"))
        return ticket

    @staticmethod
    def _may_see(viewer: Viewer, ticket: Ticket) -> bool:
        if ticket.assignee_id == viewer.telegram_id:
            return True
        return viewer.manages and may_see(viewer.actor, ticket.department, ticket.estate)

    async def ticket(self, request: web.Request) -> web.Response:
        """Every field, deadlines, timeline, survey, and what the viewer may do."""
        viewer = await self._viewer(request)
        ticket = await self._ticket(viewer, request.match_info["number"])
        return _json(await self._detail(viewer, ticket))

    async def _detail(self, viewer: Viewer, ticket: Ticket) -> dict[str, Any]:
        store = self.services.store
        events = await store.ticket_events(ticket.id)
        surveys = await store.surveys_pending(ticket.id)
        text: TicketText = self.desk.text(viewer.lang)
        out = detail(ticket, events, surveys, text, self.services.clock())
        out["actions"] = await self.actions.allowed(viewer, ticket)
        out["targets"] = self.actions.targets(viewer, ticket) if viewer.manages else {}
        return out

    async def act(self, request: web.Request) -> web.Response:
        """One action on a ticket (JSON body: action, version, text, to / department)."""
        viewer = await self._viewer(request)
        self.auth.check_write(request, viewer)
        ticket = await self._ticket(viewer, request.match_info["number"])
        if (request.content_length or 0) > _MAX_BODY:
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        try:
            message = await self.actions.run(viewer, ticket, body)
        except ActionError as exc:
            raise fail(exc.status, exc.code, exc.message) from None
        fresh = await self.services.store.get_ticket(ticket.id)
        assert fresh is not None
        return _json({"ok": True, "message": message, "ticket": await self._detail(viewer, fresh)})

    async def photo(self, request: web.Request) -> web.Response:
        """An owner's photo of a ticket, by position (never Telegram's own URL)."""
        viewer = await self._viewer(request)
        ticket = await self._ticket(viewer, request.match_info["number"])
        index = request.match_info["index"]
        if not index.isdigit() or int(index) >= len(ticket.photos) or self.photos is None:
            raise fail(404, "not_found", self.t(viewer, "web.not_found"))
        data = await self.photos.fetch(ticket.photos[int(index)])
        if data is None:
            raise fail(404, "not_found", self.t(viewer, "web.photo_missing"))
        return web.Response(
            body=data,
            content_type="image/jpeg",
            headers={"Cache-Control": "private, max-age=3600"},
        )
