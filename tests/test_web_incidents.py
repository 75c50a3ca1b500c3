"""The dashboard's Incidents API end to end: the real bot with its web server, the fake
Telegram, HTTP. Declare / new ETA / all-clear go through IncidentDesk with /incident's rules,
the CSRF check and the version the page saw; owners waiting in Telegram hear of each once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.test_e2e_staff import LI_SUP, LIU
from tests.test_web_api import get, post
from tests.web import PUBLIC_URL, base_url, tma, with_web

OWNER = 4301
GROUP = -1001234567890


@pytest.fixture
async def desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The bot with the dashboard on."""
    bot = Desk(fake, tmp_path, edit=with_web)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser-less HTTP client with its own cookie jar."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def local(desk: Desk, **delta: float) -> str:
    """A moment as the page's date-time field sends it (company time, no zone)."""
    moment = (desk.clock() + timedelta(**delta)).astimezone(desk.settings.tz)
    return f"{moment:%Y-%m-%dT%H:%M}"


DECLARE = {
    "estate": "harbour_view",
    "buildings": ["3"],
    "whole": False,
    "common_areas": False,
    "category": "water_power",
    "text": "停水",
}


async def test_declare_update_and_all_clear_from_the_dashboard(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    w = Words(desk.settings, "zh-Hans")
    li = tma(LI_SUP, desk.clock())
    status, page = await get(http, desk, "/api/incidents", headers=li)
    assert status == 200 and page["incidents"] == []
    harbour = next(e for e in page["choices"]["estates"] if e["id"] == "harbour_view")
    assert (
        "water_power" in harbour["categories"]
        and {"id": "3", "name": "3栋"} in (harbour["buildings"])
    )
    assert page["texts"]["web.incidents.title"] == "事件"

    # Bad input is refused with the bot's words; nothing is declared, nothing sent.
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**DECLARE, "buildings": []}, 400, "empty_scope"),
        ({**DECLARE, "eta": local(desk, hours=-1)}, 400, "eta_past"),
        ({**DECLARE, "eta": "tomorrow-ish"}, 400, "bad_time"),
        ({**DECLARE, "text": "  "}, 400, "no_text"),
        ({**DECLARE, "text": "x" * 5000}, 400, "text_long"),
        ({**DECLARE, "buildings": "3"}, 400, "bad_action"),
        ({**DECLARE, "category": "no_such"}, 409, "unknown"),
    ]
    for body, code, error in cases:
        status, answer = await post(http, desk, "/api/incidents", body, headers=li)
        assert (status, answer["error"]) == (code, error), (body, answer)
    status, answer = await post(http, desk, "/api/incidents", "not an object", headers=li)
    assert status == 400
    # Maintenance staff of another estate, and an owner: not theirs.
    status, answer = await post(
        http, desk, "/api/incidents", DECLARE, headers=tma(LIU, desk.clock())
    )
    assert (status, answer["error"]) == (403, "not_allowed")
    status, _ = await post(http, desk, "/api/incidents", DECLARE, headers=tma(OWNER, desk.clock()))
    assert status == 403
    assert await desk.rows("SELECT id FROM incidents") == []

    status, answer = await post(
        http, desk, "/api/incidents", {**DECLARE, "eta": local(desk, hours=2)}, headers=li
    )
    assert status == 200, answer
    incident = answer["incident"]
    assert incident["scope"] == "3栋" and incident["eta"] and incident["subscribers"] == 0
    assert "已知：3栋 10:00 起停水" in incident["headline"]
    await desk.outbox_settled()
    group = fake.group(GROUP).messages
    assert sum("#1" in (m.text or "") for m in group) == 1  # the department's group hears
    # The same place and category again: the open one is named instead.
    status, again = await post(http, desk, "/api/incidents", DECLARE, headers=li)
    assert (status, again["error"]) == (409, "duplicate") and "#1" in again["message"]

    # An owner of 3栋 meets it in Telegram and asks to be told.
    owner = fake.user(OWNER, language_code="zh-hans")
    await desk.store.remember_home(OWNER, "harbour_view", "3", "1502", desk.clock())
    await owner.command("/new")
    gate = await expect(owner, "已知：3栋")
    await owner.press(w.t("incident.btn_notify"), message_id=gate.message_id)
    await expect(owner, w.t("incident.subscribed"))
    _, page = await get(http, desk, "/api/incidents", headers=li)
    [listed] = page["incidents"]
    assert listed["subscribers"] == 1

    # A new ETA with the version the page saw; a stale version is refused, not overwritten.
    path = f"/api/incidents/{listed['id']}/actions"
    body = {"action": "eta", "version": listed["version"], "eta": local(desk, hours=4)}
    status, answer = await post(http, desk, path, {**body, "note": "水泵配件在路上"}, headers=li)
    assert status == 200, answer
    await expect(owner, "水泵配件在路上")
    status, answer = await post(http, desk, path, body, headers=li)
    assert (status, answer["error"]) == (409, "changed")
    nothing = {"action": "eta", "version": listed["version"] + 1}
    status, answer = await post(http, desk, path, nothing, headers=li)
    assert (status, answer["error"]) == (400, "no_change")
    for forged in (
        {"action": "drop_table", "version": 1},
        {"action": "eta", "version": "2"},
        {"action": "eta", "version": True},
    ):
        assert (await post(http, desk, path, forged, headers=li))[0] == 400
    assert (await post(http, desk, "/api/incidents/x1/actions", body, headers=li))[0] == 400
    gone = {"action": "all_clear", "version": 1, "text": "ok"}
    status, answer = await post(http, desk, "/api/incidents/999/actions", gone, headers=li)
    assert (status, answer["error"]) == (404, "gone")

    # The all-clear: the waiting owner is told once, the list is empty.
    _, page = await get(http, desk, "/api/incidents", headers=li)
    [listed] = page["incidents"]
    done = {"action": "all_clear", "version": listed["version"], "text": "已恢复供水"}
    status, answer = await post(http, desk, path, done, headers=li)
    assert status == 200 and answer["incident"] is None, answer
    status, answer = await post(http, desk, path, done, headers=li)
    assert (status, answer["error"]) == (409, "closed")
    await desk.outbox_settled()
    assert sum("已恢复供水" in (m.text or "") for m in owner.messages) == 1
    assert (await get(http, desk, "/api/incidents", headers=li))[1]["incidents"] == []


async def test_a_session_must_send_its_csrf_token(
    desk: Desk, fake: FakeBotApi, http: aiohttp.ClientSession
) -> None:
    li = fake.user(LI_SUP)
    await li.command("/dashboard")
    message = await li.wait_for_message(lambda m: PUBLIC_URL in (m.text or ""))
    link = re.search(r"https://desk\.example\.com(/login/\S+)", message.text or "")
    assert link is not None
    async with http.get(base_url(desk) + link.group(1), allow_redirects=False) as response:
        token = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    jar = {"estatedesk_session": token}
    status, me = await get(http, desk, "/api/me", cookies=jar)
    assert status == 200 and me["texts"]["web.incidents.title"] == "事件"
    status, answer = await post(http, desk, "/api/incidents", DECLARE, cookies=jar)
    assert (status, answer["error"]) == (403, "csrf")
    forged = {"X-CSRF-Token": me["csrf"], "Origin": "https://evil.example"}
    status, answer = await post(http, desk, "/api/incidents", DECLARE, cookies=jar, headers=forged)
    assert (status, answer["error"]) == (403, "csrf")
    assert await desk.rows("SELECT id FROM incidents") == []
    good = {"X-CSRF-Token": me["csrf"], "Origin": PUBLIC_URL}
    status, answer = await post(http, desk, "/api/incidents", DECLARE, cookies=jar, headers=good)
    assert status == 200, answer
    # Signed out: nothing to read.
    assert (await get(http, desk, "/api/incidents"))[0] == 401
