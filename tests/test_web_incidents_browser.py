"""The Incidents page in a real browser: headless Chromium opens it as Telegram opens a Mini App;
a supervisor declares an incident, is told off for an ETA in the past, moves the ETA, and gives
the all-clear — and the owner waiting in Telegram hears each once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import Person
from tests.browser import browser, screenshot_path  # noqa: F401  (the fixture)
from tests.fakebot import FakeBotApi
from tests.harness import Desk, expect
from tests.harness import Words as BotWords
from tests.test_e2e_staff import LI_SUP
from tests.test_web_browser import PHONE, Words, mini_app_url
from tests.web import init_data, with_web

OWNER = 4401


@pytest.fixture
async def desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The bot with the dashboard on."""
    bot = Desk(fake, tmp_path, edit=with_web)
    await bot.start()
    yield bot
    await bot.stop()


def local(desk: Desk, hours: float) -> str:
    """What a datetime-local field holds for now + ``hours`` in company time."""
    moment = (desk.clock() + timedelta(hours=hours)).astimezone(desk.settings.tz)
    return f"{moment:%Y-%m-%dT%H:%M}"


async def test_a_supervisor_runs_an_incident_from_the_mini_app(
    desk: Desk,
    fake: FakeBotApi,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    # The screenshot in docs/ reads in English (the machine may have no CJK font).
    await desk.store.upsert_person(Person(LI_SUP, "李建国", language_code="en"), desk.clock())
    await desk.store.set_language(LI_SUP, "en", desk.clock())
    w = Words(desk, "en")
    owner = fake.user(OWNER, language_code="zh-hans")
    await desk.store.remember_home(OWNER, "harbour_view", "3", "1502", desk.clock())
    signed = init_data(LI_SUP, desk.clock(), first_name="李建国")
    context = await browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = await context.new_page()
    await page.goto(mini_app_url(desk, "/incidents", signed))
    await page.locator("p.empty", has_text=w.t("web.incidents.none")).wait_for(timeout=10_000)
    assert await page.locator("#nav-incidents").inner_text() == w.t("web.incidents.title")

    # An ETA in the past: the bot's words, nothing declared.
    form = page.locator("form#declare")
    await form.locator("select[name=estate]").select_option("harbour_view")
    await form.locator("input[name=building][value='3']").check()
    await form.locator("select[name=category]").select_option("water_power")
    await form.locator("input[name=text]").fill("No water")
    await form.locator("input[name=eta]").fill(local(desk, -1))
    await form.locator("button[data-action=declare]").click()
    await page.locator("#flash.error", has_text=w.t("incident.refused.eta_past")).wait_for(
        timeout=10_000
    )
    assert await desk.rows("SELECT id FROM incidents") == []
    await form.locator("input[name=eta]").fill(local(desk, 2))
    await form.locator("button[data-action=declare]").click()
    card = page.locator("article.incident[data-id='1']")
    await card.wait_for(timeout=10_000)
    assert "Block 3" in await card.locator("h2").inner_text()

    # The owner meets it in Telegram and asks to be told.
    z = BotWords(desk.settings, "zh-Hans")
    await owner.command("/new")
    gate = await expect(owner, "已知：")
    await owner.press(z.t("incident.btn_notify"), message_id=gate.message_id)
    await expect(owner, z.t("incident.subscribed"))
    await page.reload()
    counts = card.locator(".counts", has_text=w.t("web.incidents.subscribers", count=1))
    await counts.wait_for(timeout=10_000)

    # A new ETA with a note; the owner hears it once.
    await card.locator("input[name=eta]").fill(local(desk, 4))
    await card.locator("input[name=note]").fill("Pump parts are on the way")
    await card.locator("button[data-action=eta]").click()
    await page.locator("#flash", has_text=w.t("web.incidents.updated", id=1)).wait_for(
        timeout=10_000
    )
    await card.locator(".note", has_text="Pump parts").wait_for(timeout=10_000)
    await expect(owner, "Pump parts are on the way")
    await page.screenshot(path=str(screenshot_path("incidents.png", tmp_path)), full_page=True)

    # The all-clear.
    await card.locator("textarea[name=all_clear]").fill("Water is back")
    await card.locator("button[data-action=all_clear]").click()
    await page.locator("#flash", has_text=w.t("web.incidents.closed", id=1)).wait_for(
        timeout=10_000
    )
    await page.locator("p.empty").wait_for(timeout=10_000)
    await desk.outbox_settled()
    assert sum("Water is back" in (m.text or "") for m in owner.messages) == 1
    incident = await desk.store.get_incident(1)
    assert incident is not None and not incident.is_open
    events = await desk.rows("SELECT * FROM incidents")
    assert events[0]["declared_by"] == LI_SUP
    await context.close()
