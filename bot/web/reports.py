"""The reports and duty pages' API: /stats figures and charts for a period, exports, and who is
on duty now and in the next 7 days (admins switch people's /duty on and off)."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Literal

from aiohttp import web

from bot.core.periods import Period, parse_period
from bot.core.roster import on_duty
from bot.core.scope import may_see, reach_of
from bot.desk.tickets import TicketDesk
from bot.reports.builder import build_report
from bot.reports.export import write_export
from bot.reports.incident_words import export_rows
from bot.reports.labelled_charts import report_charts
from bot.reports.messages import telegram_text
from bot.reports.words import Words
from bot.store.reports import ExportChunk, Scope
from bot.web.auth import Viewer, WebAuth
from bot.web.errors import fail

CHARTS: tuple[str, ...] = ("opened_by_day", "deadlines", "satisfaction", "heat_map")
MAX_DAYS = 400
_DAY = timedelta(days=1)


def _scope(viewer: Viewer) -> Scope:
    reach = reach_of(viewer.member)
    return Scope(departments=reach.departments, estates=reach.estates)


class ReportsApi:
    """Reports (supervisors and admins) and the duty roster (everyone; changes: admins)."""

    def __init__(self, desk: TicketDesk, auth: WebAuth) -> None:
        self.desk = desk
        self.auth = auth
        self.services = desk.services
        # One chart set at a time: matplotlib is slow and not made for threads side by side.
        self._charts = asyncio.Lock()

    def routes(self) -> list[web.RouteDef]:
        """The routes."""
        return [
            web.get("/api/reports", self.report),
            web.get("/api/reports/charts/{name}", self.chart),
            web.get("/api/reports/export", self.export),
            web.get("/api/duty", self.duty),
            web.post("/api/duty", self.set_duty),
        ]

    def t(self, viewer: Viewer, key: str, **params: object) -> str:
        """A catalog text in the viewer's language."""
        return self.services.catalog.text(viewer.lang, key, **params)

    async def _manager(self, request: web.Request) -> Viewer:
        viewer = await self.auth.viewer(request)
        if not viewer.manages:
            raise fail(403, "forbidden", self.t(viewer, "refusal.not_supervisor"))
        return viewer

    def _period(self, viewer: Viewer, request: web.Request) -> Period:
        spec = request.query.get("period", "week")[:40]
        try:
            period = parse_period(spec, self.services.clock(), self.services.settings.tz)
        except ValueError:
            raise fail(400, "bad_period", self.t(viewer, "report.bad_period")) from None
        if period.end - period.start > MAX_DAYS * _DAY or period.end <= period.start:
            raise fail(400, "bad_period", self.t(viewer, "web.period_too_long", days=MAX_DAYS))
        return period

    async def report(self, request: web.Request) -> web.Response:
        """The /stats figures, appraisal table and hot spots of a period, as text lines."""
        viewer = await self._manager(request)
        period = self._period(viewer, request)
        report = await build_report(
            self.services.store,
            self.services.settings,
            period,
            self.services.clock(),
            _scope(viewer),
        )
        words = Words(self.services.settings, self.services.catalog, viewer.lang)
        lines = telegram_text(words, report, "report.title")
        return web.json_response(
            {"period": period.label, "lines": lines, "charts": list(CHARTS), "empty": report.empty}
        )

    async def chart(self, request: web.Request) -> web.Response:
        """One of the report's charts as a PNG."""
        viewer = await self._manager(request)
        name = request.match_info["name"]
        if name not in CHARTS:
            raise fail(404, "not_found", self.t(viewer, "web.not_found"))
        period = self._period(viewer, request)
        report = await build_report(
            self.services.store,
            self.services.settings,
            period,
            self.services.clock(),
            _scope(viewer),
        )
        async with self._charts:
            [chart] = await asyncio.to_thread(
                report_charts,
                self.services.settings,
                self.services.catalog,
                viewer.lang,
                report,
                (name,),
            )
        return web.Response(body=chart.png, content_type="image/png")

    async def export(self, request: web.Request) -> web.Response:
        """The period's tickets, events, survey answers and incidents in the viewer's patch:
        xlsx, or csv (four files in a zip)."""
        viewer = await self._manager(request)
        period = self._period(viewer, request)
        raw = request.query.get("format", "xlsx")
        fmt: Literal["csv", "xlsx"] = "csv" if raw == "csv" else "xlsx"
        if raw not in ("xlsx", "csv"):
            raise fail(
                400, "bad_filter", self.t(viewer, "web.bad_filter", name="format", value=raw[:10])
            )
        chunks = self._scoped(viewer, self.services.store.export_chunks(period.start, period.end))
        with tempfile.TemporaryDirectory(prefix="estatedesk-export-") as folder:
            out = Path(folder) / f"export.{fmt}"
            settings = self.services.settings
            facts = await self.services.store.incident_facts(
                period.start, period.end, _scope(viewer)
            )
            incidents = export_rows(facts, settings.tz, settings.default_language)
            result = await write_export(chunks, out, fmt, settings.tz, incidents=incidents)
            body = await asyncio.to_thread(_bundle, result.paths, fmt)
        name = f"estatedesk-{period.label}.{'zip' if fmt == 'csv' else 'xlsx'}".replace(" ", "_")
        kind = (
            "application/zip"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return web.Response(
            body=body,
            content_type=kind,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _scoped(
        self, viewer: Viewer, chunks: AsyncIterator[ExportChunk]
    ) -> AsyncIterator[ExportChunk]:
        """Only the tickets the viewer may see, with their events and surveys."""
        async for chunk in chunks:
            tickets = [
                t for t in chunk.tickets if may_see(viewer.member, t["department"], t["estate"])
            ]
            ids = {t["id"] for t in tickets}
            yield ExportChunk(
                tickets,
                [e for e in chunk.events if e["ticket_id"] in ids],
                [s for s in chunk.surveys if s["ticket_id"] in ids],
            )

    async def duty(self, request: web.Request) -> web.Response:
        """Who is on duty now, and at the start of each of the next 7 days' day and night."""
        viewer = await self.auth.viewer(request)
        settings = self.services.settings
        roster = self.desk.roster
        off = await self.services.store.unavailable_staff()
        now = self.services.clock()
        text = self.desk.text(viewer.lang)
        today = now.astimezone(settings.tz).replace(minute=0, second=0, microsecond=0)

        def names(ids: list[int]) -> list[str]:
            return [m.name for i in ids if (m := settings.staff_member(i)) is not None]

        rows = []
        for dept in settings.departments:
            for estate in settings.estates:
                if not may_see(viewer.member, dept.id, estate.id) and viewer.member.role != "staff":
                    continue
                if viewer.member.role == "staff" and dept.id not in viewer.member.departments:
                    continue
                moments = [now] + [
                    (today + timedelta(days=d)).replace(hour=h)
                    for d in range(1, 8)
                    for h in (10, 23)
                ]
                rows.append(
                    {
                        "department": settings.text(dept.name, viewer.lang),
                        "estate": settings.text(estate.name, viewer.lang),
                        "now": names(on_duty(roster, dept.id, estate.id, now, off)),
                        "later": [
                            {
                                "at": text.when(m),
                                "staff": names(on_duty(roster, dept.id, estate.id, m, off)),
                            }
                            for m in moments[1:]
                        ],
                    }
                )
        people = [
            {"id": m.telegram_id, "name": m.name, "on": m.telegram_id not in off}
            for m in settings.staff
        ]
        return web.json_response(
            {"rows": rows, "people": people, "admin": viewer.member.role == "admin"}
        )

    async def set_duty(self, request: web.Request) -> web.Response:
        """/duty on or off for someone (admins only)."""
        viewer = await self.auth.viewer(request)
        self.auth.check_write(request, viewer)
        if viewer.member.role != "admin":
            raise fail(403, "forbidden", self.t(viewer, "web.admins_only"))
        try:
            body = await request.json()
        except ValueError:
            body = None
        who = body.get("telegram_id") if isinstance(body, dict) else None
        on = body.get("on") if isinstance(body, dict) else None
        if (
            not isinstance(who, int)
            or not isinstance(on, bool)
            or self.services.settings.staff_member(who) is None
        ):
            raise fail(400, "bad_action", self.t(viewer, "web.bad_action"))
        await self.services.store.set_available(who, on, self.services.clock())
        return web.json_response({"ok": True, "telegram_id": who, "on": on})


def _bundle(paths: tuple[Path, ...], fmt: str) -> bytes:
    if fmt == "xlsx":
        return paths[0].read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return buffer.getvalue()
