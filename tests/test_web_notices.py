"""Notices on the dashboard: the same form and checks as /notice, over HTTP and in a browser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.browser import browser, screenshot_path  # noqa: F401  (the fixture)
from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.test_e2e_notices import FORM, LI, WANG, ZHAO, seed_owners
from tests.test_web_browser import PHONE, mini_app_url
from tests.web import base_url, init_data, tma, with_web


@pytest.fixture
async def desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The bot with the dashboard on."""
    bot = Desk(fake, tmp_path, edit=with_web)
    await bot.start()
    yield bot
    await bot.stop()


async def call(
    desk: Desk, method: str, path: str, who: int, body: Any = None, **kw: Any
) -> tuple[int, Any]:
    """One signed-in (Mini App) request; the status and the JSON answer."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, base_url(desk) + path, json=body, headers=tma(who, desk.clock()), **kw
        ) as response,
    ):
        json_body = response.content_type == "application/json"
        return response.status, await response.json() if json_body else None


async def test_the_api_previews_sends_and_refuses_like_the_command(
    desk: Desk, fake: FakeBotApi
) -> None:
    z = Words(desk.settings, "zh-Hans")
    owners = await seed_owners(desk, fake, [(9_500_001, "3", "en"), (9_500_002, "1", "en")])
    fake.user(LI, language_code="zh-hans")
    # Only supervisors and admins; staff and owners are refused.
    assert (await call(desk, "GET", "/api/notices", WANG))[0] == 403
    assert (await call(desk, "GET", "/api/notices", 9_500_001))[0] == 403
    status, body = await call(desk, "GET", "/api/notices", LI)
    assert status == 200 and body["recent"] == z.t("notice.recent_none")
    # Bad forms: the reason, nothing stored.
    bad = FORM.replace("buildings: 3, 5", "buildings:")
    status, body = await call(desk, "POST", "/api/notices", LI, {"form": bad})
    assert (status, body["message"].split("\n")[0]) == (400, z.t("notice.err_no_scope"))
    for junk in ({"form": 42}, {"form": "x" * 20_000}, [1, 2], "form"):
        assert (await call(desk, "POST", "/api/notices", LI, junk))[0] == 400, junk
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            base_url(desk) + "/api/notices", data="form=x", headers=tma(LI, desk.clock())
        ) as response,
    ):
        assert response.status == 415  # JSON only: a cross-site form cannot post
    assert await desk.rows("SELECT id FROM notices") == []

    status, body = await call(desk, "POST", "/api/notices", LI, {"form": FORM})
    assert status == 200 and z.t("notice.field_reach", count=1) in body["preview"]
    nid = body["id"]
    # Someone else's draft, a forged id, a bad action: refused.
    assert (await call(desk, "POST", f"/api/notices/{nid}/send", ZHAO, {}))[0] == 403
    assert (await call(desk, "POST", "/api/notices/99999/send", LI, {}))[0] == 404
    assert (await call(desk, "POST", f"/api/notices/{nid}/delete", LI, {}))[0] in (404, 405)
    status, body = await call(desk, "POST", f"/api/notices/{nid}/send", LI, {})
    assert (status, body["outcome"]) == (200, "sending")
    await expect(owners[0], "Water off", wait=10)
    status, body = await call(desk, "POST", f"/api/notices/{nid}/send", LI, {})
    assert (status, body["outcome"]) == (409, "done")  # a second press sends nothing more
    await desk.outbox_settled()
    await asyncio.sleep(2.5)
    status, body = await call(desk, "GET", "/api/notices", LI)
    assert "✅" in body["recent"] and "1" in body["recent"]
    await owners[1].assert_no_reply()
    assert len([m for m in owners[0].messages if "Water off" in (m.text or "")]) == 1


async def test_a_supervisor_sends_a_notice_from_the_mini_app(
    desk: Desk,
    fake: FakeBotApi,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    owners = await seed_owners(desk, fake, [(9_600_001, "5", "en")])
    await desk.execute("UPDATE users SET language = 'en'")
    fake.user(LI, language_code="en")
    await desk.execute(
        "INSERT INTO users (telegram_id, first_name, language, created_at, updated_at)"
        " VALUES (?, 'Li', 'en', '2026-01-01', '2026-01-01')",
        LI,
    )
    en = Words(desk.settings, "en")
    context = await browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = await context.new_page()
    await page.goto(mini_app_url(desk, "/notices", init_data(LI, desk.clock())))
    await page.locator("#notice-recent", has_text=en.t("notice.recent_none")).wait_for(
        timeout=10_000
    )
    # A bad form first: the reason, no preview.
    await page.fill("textarea[name=form]", FORM.replace("send: now", "send: 11-28 09:00"))
    await page.click("#notice-check")
    await page.locator("#flash.error", has_text=en.t("notice.err_send_after_expiry")).wait_for()
    assert await page.locator("#notice-preview").is_hidden()
    await page.fill("textarea[name=form]", FORM)
    await page.click("#notice-check")
    await page.locator("#notice-preview pre", has_text=en.t("notice.preview_head")).wait_for()
    await page.screenshot(path=str(screenshot_path("notices.png", tmp_path)), full_page=True)
    await page.click("[data-notice=send]")
    await page.locator("#flash", has_text=en.t("notice.press_sending")).wait_for()
    await expect(owners[0], "Water off", wait=10)
    await page.locator("#notice-recent", has_text="✅").wait_for(timeout=15_000)
    await context.close()
