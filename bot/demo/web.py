"""The demo's web page and its small JSON API (aiohttp): chats, actions, clock, live events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.roster import on_duty
from bot.core.routing import roster_of
from bot.demo.actions import MAX_PHOTO, Refused, act, upload
from bot.demo.personas import Persona, department_of_demo
from bot.demo.samples import SAMPLES, sample_photo
from bot.demo.session import DemoSession
from bot.demo.texts import page_text, page_texts
from bot.demo.training import progress
from bot.demo.view import chat_view

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
CLOCK_STEPS = frozenset({10, 60, 24 * 60})  # the page's three fast-forward buttons, in minutes
KEEPALIVE = 15.0
SESSION: web.AppKey[DemoSession] = web.AppKey("session", DemoSession)
# A cross-site form cannot set this header without the browser asking first, which this
# server never allows: a page elsewhere cannot act in the demo behind the trainee's back.
GUARD_HEADER = "X-Demo"


def _session(request: web.Request) -> DemoSession:
    return request.app[SESSION]


def _error(
    session: DemoSession, key: str, params: Mapping[str, object] | None = None, status: int = 400
) -> web.Response:
    log.info("demo: page request refused (%s)", key)
    text = page_text(session.lang, key, **(params or {}))
    return web.json_response({"error": text}, status=status)


async def index(request: web.Request) -> web.FileResponse:
    """The page itself."""
    return web.FileResponse(STATIC / "index.html")


async def static(request: web.Request) -> web.StreamResponse:
    """The page's script and style (only the files shipped beside it)."""
    name = request.match_info["name"]
    path = STATIC / name
    if name not in {"demo.js", "demo.css"} or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)


def _persona_view(session: DemoSession, persona: Persona, duty: set[int]) -> dict[str, Any]:
    chat = session.need_emulator().bot().chats.get(persona.chat_id)
    last = chat.bot_messages()[-1] if chat is not None and chat.bot_messages() else None
    return {
        "key": persona.key,
        "role": persona.role,
        "name": persona.name,
        "on_duty": persona.user_id in duty if persona.role != "owner" else None,
        "last": (last.text or "🖼")[:60] if last is not None else "",
        "count": len(chat.bot_messages()) if chat is not None else 0,
    }


def _clock_text(session: DemoSession) -> str:
    """The demo time as the page shows it: weekday in the page's language, date, time."""
    now = session.now_local()
    weekday = page_text(session.lang, "weekdays").split(",")[now.weekday()]
    return f"{weekday} {now:%Y-%m-%d %H:%M}"


async def state(request: web.Request) -> web.Response:
    """Everything the page draws: chats, the open chat, the clock, the script, refusals."""
    session = _session(request)
    runtime = session.runtime
    if runtime is None or runtime.store is None or session.emulator is None:
        return _error(session, "err.busy", status=503)
    settings = session.settings
    lang = session.lang
    now = session.clock()
    dept = department_of_demo(settings)
    roster = roster_of(settings)
    places = [None, *(e.id for e in settings.estates)]  # estate shifts and all-estate ones
    duty = {s for place in places for s in on_duty(roster, dept, place, now)}
    open_key = request.query.get("chat", "")
    opened = session.persona(open_key)
    steps = await progress(runtime.store, session.emulator, session.people)
    body: dict[str, Any] = {
        "generation": session.generation,
        "lang": lang,
        "now": _clock_text(session),
        "personas": [_persona_view(session, p, duty) for p in session.people],
        "members": [{"key": p.key, "name": p.name} for p in session.people if p.role != "owner"],
        "chat": None,
        "areas": [
            {"id": area.id, "name": settings.text(area.name, lang)}
            for estate in settings.estates
            for area in estate.areas
        ],
        "samples": sorted(SAMPLES),
        "training": [
            {
                "role": s.role,
                "text": page_text(lang, s.key, **s.names),
                "done": s.done,
            }
            for s in steps
        ],
        "refused": session.emulator.refused()[-5:],
    }
    if opened is not None:
        chat = session.emulator.bot().chats.get(opened.chat_id)
        if chat is not None:
            body["chat"] = {"persona": opened.key, **chat_view(chat, settings.tz)}
    return web.json_response(body)


async def texts(request: web.Request) -> web.Response:
    """The page's texts in the demo's language."""
    session = _session(request)
    return web.json_response({"lang": session.lang, "texts": page_texts(session.lang)})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a ``change`` whenever the emulator saw activity or the clock moved."""
    session = _session(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    try:
        await response.write(b"retry: 1000\n\n")
        while True:
            emulator = session.emulator
            if emulator is None:
                await asyncio.sleep(0.2)
                continue
            before = emulator.bot().last_activity
            await emulator.bot().signal.wait(KEEPALIVE)
            if session.emulator is emulator and emulator.bot().last_activity == before:
                await response.write(b": keepalive\n\n")
                continue
            await asyncio.sleep(0.05)  # one event for a burst of calls
            await response.write(b"event: change\ndata: {}\n\n")
    except ConnectionResetError:
        pass  # the page went away
    return response


async def _guarded_json(request: web.Request) -> dict[str, Any]:
    if request.headers.get(GUARD_HEADER) != "1":
        raise Refused("err.bad_request")
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise Refused("err.bad_request") from None
    if not isinstance(body, dict):
        raise Refused("err.bad_request")
    return body


async def action(request: web.Request) -> web.Response:
    """One thing a persona does (text, button, keyboard, sticker, scan, sample photo)."""
    session = _session(request)
    try:
        await act(session, await _guarded_json(request))
    except Refused as refused:
        return _error(session, refused.key, refused.params)
    return web.json_response({"ok": True})


async def photo(request: web.Request) -> web.Response:
    """A picture uploaded from the page (multipart: persona, as, file)."""
    session = _session(request)
    if request.headers.get(GUARD_HEADER) != "1":
        return _error(session, "err.bad_request", status=403)
    try:
        form = await request.post()
    except (ValueError, web.HTTPRequestEntityTooLarge):
        return _error(session, "err.too_big")
    file = form.get("file")
    if not isinstance(file, web.FileField):
        return _error(session, "err.bad_request")
    data = file.file.read(MAX_PHOTO + 1)
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        await upload(session, fields, data)
    except Refused as refused:
        return _error(session, refused.key, refused.params)
    return web.json_response({"ok": True})


async def clock(request: web.Request) -> web.Response:
    """Fast-forward the demo clock by one of the page's steps."""
    session = _session(request)
    try:
        body = await _guarded_json(request)
    except Refused as refused:
        return _error(session, refused.key)
    if not session.running:
        return _error(session, "err.busy", status=503)
    minutes = body.get("minutes")
    if not isinstance(minutes, int) or minutes not in CLOCK_STEPS:
        return _error(session, "err.clock")
    session.advance(minutes)
    return web.json_response({"ok": True, "now": session.now_local().isoformat()})


async def reset(request: web.Request) -> web.Response:
    """Start over with an empty demo database and the clock at the start."""
    session = _session(request)
    try:
        await _guarded_json(request)
    except Refused as refused:
        return _error(session, refused.key)
    await session.reset()
    return web.json_response({"ok": True})


async def file(request: web.Request) -> web.Response:
    """A photo the emulator holds (sent by a persona or by the bot)."""
    session = _session(request)
    stored = session.need_emulator().bot().files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    kind = "image/png" if stored.data.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(body=stored.data, content_type=kind)


async def sample(request: web.Request) -> web.Response:
    """A sample photo's thumbnail for the picker."""
    name = request.match_info["name"]
    if name not in SAMPLES:
        raise web.HTTPNotFound()
    return web.Response(body=sample_photo(name), content_type="image/jpeg")


def build_app(session: DemoSession) -> web.Application:
    """The demo's aiohttp application (one visible route list)."""
    app = web.Application(client_max_size=MAX_PHOTO + 64 * 1024)
    app[SESSION] = session
    app.router.add_routes(
        [
            web.get("/", index),
            web.get("/static/{name}", static),
            web.get("/api/texts", texts),
            web.get("/api/state", state),
            web.get("/api/events", events),
            web.get("/api/file/{file_id}", file),
            web.get("/api/sample/{name}", sample),
            web.post("/api/act", action),
            web.post("/api/photo", photo),
            web.post("/api/clock", clock),
            web.post("/api/reset", reset),
        ]
    )
    return app
