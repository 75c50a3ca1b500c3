"""The dashboard's Incidents page and API: open incidents in the viewer's patch (scope, ETA,
linked tickets, subscribers), and declare / new ETA / all-clear through ``IncidentDesk`` with
the rules of ``/incident`` (scope, a second incident for one place and category, an ETA in
the past), the CSRF check of every write and the version the person saw (a change meanwhile
is refused, not overwritten)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.core.incidents import TEXT_MAX, Incident, pick_scope
from bot.core.models import Ticket
from bot.desk.incidents import IncidentDesk, Refused
from bot.web.auth import Viewer, WebAuth
from bot.web.errors import fail

log = logging.getLogger(__name__)

_MAX_BODY = 16 * 1024
_SHOWN_TICKETS = 50  # linked tickets listed per incident
# Catalog keys the page needs besides the "web." ones /api/me hands out.
_TEXT_PREFIXES = ("web.incidents.", "incident.refused.", "incident.btn_")
# Refusals that are the person's input rather than a clash with what is stored.
_BAD_INPUT = frozenset(
    {"empty_scope", "eta_past", "no_text", "text_long", "unknown_building", "no_change"}
)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


class IncidentsApi:
    """Incidents on the dashboard: the same use case as Telegram's /incident."""

    def __init__(self, incidents: IncidentDesk, auth: WebAuth) -> None:
        self.incidents = incidents
        self.auth = auth
        self.services = incidents.services

    def routes(self) -> list[web.RouteDef]:
        """The API's routes (the page itself is served with the others, ``Pages``)."""
        return [
            web.get("/api/incidents", self.list),
            web.post("/api/incidents", self.declare),
            web.post("/api/incidents/{id}/actions", self.act),
        ]

    def t(self, viewer: Viewer, key: str, **params: object) -> str:
        """A catalog text in the viewer's language."""
        return self.services.catalog.text(viewer.lang, key, **params)

    # ----- reading ---------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        """Open incidents in the viewer's patch, and what they may declare."""
        viewer = await self.auth.viewer(request)
        table = self.services.catalog.texts.get(viewer.lang) or {}
        texts = {k: v for k, v in table.items() if k.startswith(_TEXT_PREFIXES)}
        items = [await self._item(viewer, i) for i in await self.incidents.visible(viewer.actor)]
        return _json({"incidents": items, "choices": self._choices(viewer), "texts": texts})

    async def _item(self, viewer: Viewer, incident: Incident) -> dict[str, Any]:
        store = self.services.store
        tz = self.services.settings.tz
        linked: list[Ticket] = []
        for ticket_id in (await store.linked_tickets(incident.id))[:_SHOWN_TICKETS]:
            ticket = await store.get_ticket(ticket_id)
            if ticket is not None:
                linked.append(ticket)
        category = self.services.settings.category(incident.category)
        return {
            "id": incident.id,
            "version": incident.version,
            "headline": self.incidents.headline(incident, viewer.lang),
            "scope": self.incidents.scope_words(incident, viewer.lang),
            "category": self.services.settings.text(category.name, viewer.lang)
            if category
            else incident.category,
            "started": f"{incident.started_at.astimezone(tz):%Y-%m-%d %H:%M}",
            "eta": f"{incident.eta.astimezone(tz):%Y-%m-%d %H:%M}" if incident.eta else None,
            "note": incident.note,
            "linked": [{"number": t.number, "status": t.status.value} for t in linked],
            "linked_total": len(await store.linked_tickets(incident.id)),
            "subscribers": len(await store.subscribers(incident.id)),
        }

    def _choices(self, viewer: Viewer) -> dict[str, Any]:
        """The estates (with buildings) and categories the viewer may declare an incident in."""
        settings = self.services.settings
        lang = viewer.lang
        categories = settings.categories
        estates = [
            {
                "id": e.id,
                "name": settings.text(e.name, lang),
                "buildings": [
                    {"id": b.id, "name": settings.text(b.name, lang)} for b in e.buildings
                ],
                "categories": [
                    c.id
                    for c in categories
                    if self.incidents.may_manage(viewer.actor, c.department, e.id)
                ],
            }
            for e in settings.estates
        ]
        return {
            "estates": [e for e in estates if e["categories"]],
            "categories": [{"id": c.id, "name": settings.text(c.name, lang)} for c in categories],
        }

    # ----- writing ---------------------------------------------------------------------------

    async def _body(self, request: web.Request, viewer: Viewer) -> dict[str, Any]:
        self.auth.check_write(request, viewer)
        if (request.content_length or 0) > _MAX_BODY:
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        return body

    def _text(self, viewer: Viewer, body: dict[str, Any], key: str) -> str:
        value = body.get(key, "")
        if not isinstance(value, str) or len(value) > TEXT_MAX:
            raise fail(400, "text_long", self.t(viewer, "incident.refused.text_long"))
        return value.strip()

    def _eta(self, viewer: Viewer, body: dict[str, Any]) -> datetime | None:
        """The ETA as the page's date-time field sends it (local time), or None."""
        raw = body.get("eta")
        if raw in (None, ""):
            return None
        try:
            if not isinstance(raw, str) or len(raw) > 20:
                raise ValueError(raw)
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise fail(400, "bad_time", self.t(viewer, "web.incidents.bad_time")) from None
        tz = self.services.settings.tz
        return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)

    def _refused(self, viewer: Viewer, refused: Refused) -> web.HTTPException:
        status = 403 if refused.code == "not_allowed" else 400
        if refused.code not in _BAD_INPUT and status != 403:
            status = 404 if refused.code == "gone" else 409
        message = self.t(viewer, f"incident.refused.{refused.code}")
        if refused.code == "duplicate" and refused.incident is not None:
            message += " #" + str(refused.incident.id)
        return fail(status, refused.code, message)

    async def declare(self, request: web.Request) -> web.Response:
        """Declare an incident (JSON: estate, buildings, whole, common_areas, category, text,
        eta)."""
        viewer = await self.auth.viewer(request)
        body = await self._body(request, viewer)
        settings = self.services.settings
        picked = body.get("buildings", [])
        if not isinstance(picked, list) or not all(isinstance(b, str) for b in picked):
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        scope = pick_scope(bool(body.get("whole")), picked[:100], bool(body.get("common_areas")))
        if scope is None:
            raise self._refused(viewer, Refused("empty_scope"))
        estate, category = body.get("estate"), body.get("category")
        if not isinstance(estate, str) or not isinstance(category, str):
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        found = settings.category(category)
        draft = Incident(
            estate=estate,
            buildings=scope[0],
            common_areas=scope[1],
            category=category,
            subcategory=None,
            department=found.department if found else "",
            texts={settings.default_language: self._text(viewer, body, "text")},
            started_at=self.services.clock(),
            eta=self._eta(viewer, body),
            declared_by=viewer.telegram_id,
        )
        result = await self.incidents.declare(viewer.actor, draft)
        if isinstance(result, Refused):
            raise self._refused(viewer, result)
        log.info("dashboard: incident %d declared by %s", result.id, viewer.telegram_id)
        message = self.t(viewer, "web.incidents.declared", id=result.id)
        return _json({"ok": True, "message": message, "incident": await self._item(viewer, result)})

    async def act(self, request: web.Request) -> web.Response:
        """A new ETA (and note) or the all-clear (JSON: action, version, eta, note, text)."""
        viewer = await self.auth.viewer(request)
        body = await self._body(request, viewer)
        raw_id = request.match_info["id"]
        version = body.get("version")
        action = body.get("action")
        if (
            not raw_id.isdigit()
            or len(raw_id) > 12
            or action not in ("eta", "all_clear")
            or not isinstance(version, int)
            or isinstance(version, bool)
        ):
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        incident_id = int(raw_id)
        if action == "eta":
            eta = self._eta(viewer, body)
            note = self._text(viewer, body, "note") or None
            result = await self.incidents.update(
                viewer.actor, incident_id, version, eta=eta, note=note
            )
            key = "web.incidents.updated"
        else:
            text = self._text(viewer, body, "text")
            texts = {self.services.settings.default_language: text}
            result = await self.incidents.close(viewer.actor, incident_id, version, texts)
            key = "web.incidents.closed"
        if isinstance(result, Refused):
            raise self._refused(viewer, result)
        log.info("dashboard: incident %d %s by %s", incident_id, action, viewer.telegram_id)
        item = await self._item(viewer, result) if result.is_open else None
        return _json({"ok": True, "message": self.t(viewer, key, id=incident_id), "incident": item})
