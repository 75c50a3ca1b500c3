"""The demo in-process for tests: its session plus its web page on a free port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

from bot.demo.session import DemoOptions, DemoSession
from bot.demo.web import build_app
from bot.loading import load_all
from bot.tg.runtime import RuntimeOptions
from tests.harness import DEFAULT_NOW, ROOT, Words


@dataclass
class Demo:
    """A running demo: its session, the page's URL and the database file."""

    session: DemoSession
    url: str
    db: Path

    async def post(self, path: str, body: Any, *, guard: bool = True) -> tuple[int, Any]:
        """POST JSON as the page does (``guard``: with the page's X-Demo header)."""
        headers = {"X-Demo": "1"} if guard else {}
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url + path.lstrip("/"), json=body, headers=headers) as res,
        ):
            return res.status, await res.json()

    async def state(self, chat: str = "owner1") -> Any:
        """What the page would draw now."""
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.url + "api/state", params={"chat": chat}) as res,
        ):
            assert res.status == 200
            return await res.json()


@contextlib.asynccontextmanager
async def running_demo(db: Path, lang: str = "en") -> AsyncIterator[Demo]:
    """The demo as ``python -m bot demo`` runs it, started on Thursday 10:00 in Shanghai."""
    settings, flows = load_all(ROOT / "config.yaml")
    options = DemoOptions(
        config=ROOT / "config.yaml",
        flows=flows,
        lang=lang,
        db_path=db,
        start=DEFAULT_NOW,  # the day shift is on duty
        runtime=RuntimeOptions(poll_timeout=1.0, outbox_idle=0.05, timer_nap=0.05),
    )
    session = DemoSession(options, settings)
    await session.start()
    runner = web.AppRunner(build_app(session), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield Demo(session, f"http://127.0.0.1:{runner.addresses[0][1]}/", db)
    finally:
        await runner.cleanup()
        await session.stop()
    refused = session.need_emulator().refused()
    assert not refused, refused


# One step of a person's scripted path: ("press", label) an inline button, ("tap", label) a
# reply-keyboard button, ("type", text), ("see", text), or ("photo", sample name, caption). The
# browser test and the API tests both play the same script.
class Step(NamedTuple):
    """What the person does next, or what they wait to see."""

    kind: str
    value: str
    caption: str = ""


LEAK = "Water leaking under the kitchen sink"
# What Mrs Chen types, in the demo's language (the English one is the tests' default).
LEAKS = {"en": LEAK, "zh-Hans": "厨房水管漏水了，好急！", "zh-Hant": "廚房漏水呀，好急！"}


def owner_report_script(w: Words, *, photo: bool) -> list[Step]:
    """Mrs Chen, a first-time owner, reports a leak at home, up to her ticket number.

    The one place to adapt when the intake conversation changes: it follows what the bot asks
    today. She describes the problem in one sentence (``photo``: as a sample photo's caption),
    the card proposes the rest and asks where she lives (estate, building, flat), she checks
    it and submits, then shares her phone with the share-contact button.
    """
    steps = [Step("press", w.t("menu.new")), Step("see", w.t("intake.ask_what"))]
    leak = LEAKS[w.lang]
    steps.append(Step("photo", "leak", leak) if photo else Step("type", leak))
    return [
        *steps,
        Step("see", w.t("intake.ask_estate")),
        Step("press", w.estate("harbour_view")),
        Step("press", w.building("harbour_view", "3")),
        Step("see", w.t("intake.ask_unit")),
        Step("type", "1502"),
        Step("see", w.t("intake.card_summary")),
        Step("see", w.sub("water_power", "burst_pipe")),  # proposed from "leaking"
        Step("press", w.t("flow.btn_submit")),
        Step("see", w.t("intake.ask_phone")),
        Step("tap", w.t("flow.btn_share_contact")),
        Step("see", "HV-"),
    ]
