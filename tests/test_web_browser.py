"""The dashboard in a real browser: headless Chromium opens it as Telegram opens a Mini App."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.core.models import Person
from tests.browser import browser, screenshot_path  # noqa: F401  (the fixture)
from tests.fakebot import FakeBotApi
from tests.harness import Desk
from tests.test_e2e_staff import LI_SUP, WANG, ZHANG, card_of, file_ticket
from tests.web import base_url, init_data, with_web

THEME = {"bg_color": "#ffffff", "text_color": "#222222", "button_color": "#3390ec"}
PHONE = {"width": 412, "height": 860}


@pytest.fixture
async def desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The bot with the dashboard on."""
    bot = Desk(fake, tmp_path, edit=with_web)
    await bot.start()
    yield bot
    await bot.stop()


def mini_app_url(desk: Desk, path: str, data: str) -> str:
    """The address Telegram opens: the page, with initData and theme in the fragment."""
    fragment = f"tgWebAppData={quote(data)}&tgWebAppThemeParams={quote(json.dumps(THEME))}"
    return f"{base_url(desk)}{path}#{fragment}"


async def test_a_supervisor_transfers_a_ticket_from_the_mini_app(
    desk: Desk,
    fake: FakeBotApi,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    row = await file_ticket(desk, fake.user(4201, language_code="en"), photo=True)
    number = row["number"]
    wang, zhang = fake.user(WANG), fake.user(ZHANG)
    old_card = await card_of(wang, number)
    # The screenshots in docs/ read in English (the machine may have no CJK font).
    await desk.store.upsert_person(Person(LI_SUP, "李建国", language_code="en"), desk.clock())
    await desk.store.set_language(LI_SUP, "en", desk.clock())
    z = Words(desk, "en")
    signed = init_data(LI_SUP, desk.clock(), first_name="李建国")
    context = await browser.new_context(viewport=PHONE, device_scale_factor=1)
    board = await context.new_page()
    await board.goto(mini_app_url(desk, "/board", signed))
    card = board.locator(f"#col-assigned a[data-number='{number}']")
    await card.wait_for(timeout=10_000)
    assert "王强" in await card.locator(".assignee").inner_text()  # names stay as configured
    # Telegram's theme colours reach the page as CSS variables.
    bg = await board.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--tg-theme-button-color')"
    )
    assert bg.strip() == "#3390ec"
    await board.fill("input[name=q]", number)
    await board.locator(f"a[data-number='{number}']").first.wait_for()
    await board.screenshot(path=str(screenshot_path("board.png", tmp_path)), full_page=True)
    await board.fill("input[name=q]", "")
    # A second page opens the ticket; the first stays on the board to watch it move.
    page = await context.new_page()
    href = await board.locator(f"#col-assigned a[data-number='{number}']").get_attribute("href")
    assert href == f"/ticket/{number}"
    await page.goto(mini_app_url(desk, href, signed))
    await page.locator("h1", has_text=number).wait_for(timeout=10_000)
    await page.locator(".photos img[src^='blob:']").wait_for(timeout=10_000)
    await page.screenshot(path=str(screenshot_path("ticket.png", tmp_path)), full_page=True)
    await page.select_option("select[name=target]", f"s:{ZHANG}")
    await page.fill("textarea[name=text]", "Night shift takes it")
    await page.click("button[data-action=transfer]")
    await page.locator("#flash", has_text=z.t("web.done", number=number)).wait_for(timeout=10_000)
    await page.locator(".timeline .via", has_text=z.t("web.via_dashboard")).wait_for()
    # Telegram: the new engineer's card arrives, the old one says the ticket left.
    await card_of(zhang, number)
    left = await wang.wait_for_edit(old_card.message_id)
    assert not left.buttons
    # The board, never reloaded, shows the new assignee within its refresh.
    moved = board.locator(f"#col-assigned a[data-number='{number}'] .assignee", has_text="张伟")
    await moved.wait_for(timeout=12_000)
    assert (await desk.rows("SELECT assignee_id FROM tickets WHERE id = ?", row["id"]))[0][
        "assignee_id"
    ] == ZHANG
    # The reports page: the /stats figures and the charts of the week, with downloads.
    await board.goto(mini_app_url(desk, "/reports", signed))
    await board.locator("pre.figures").wait_for(timeout=15_000)
    await board.locator("img.chart[src^='blob:']").first.wait_for(timeout=30_000)
    async with board.expect_download() as download:
        await board.click("button[data-download=xlsx]")
    assert (await download.value).suggested_filename.endswith(".xlsx")
    await board.screenshot(path=str(screenshot_path("reports.png", tmp_path)), full_page=True)
    await board.goto(mini_app_url(desk, "/duty", signed))
    await board.locator(".duty-table td.now", has_text="王强").wait_for(timeout=10_000)
    await board.screenshot(path=str(screenshot_path("duty.png", tmp_path)), full_page=True)
    await context.close()


@pytest.mark.parametrize("who", ["owner", "tampered"])
async def test_an_owner_and_a_tampered_init_data_are_refused(
    desk: Desk,
    fake: FakeBotApi,
    browser: Any,  # noqa: F811
    who: str,
) -> None:
    row = await file_ticket(desk, fake.user(4202, language_code="en"))
    if who == "owner":
        data, key = init_data(4202, desk.clock()), "web.forbidden"
    else:
        data = init_data(LI_SUP, desk.clock()).replace("Test", "Evil")
        key = "web.unauthorized"
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(mini_app_url(desk, "/board", data))
    lang = desk.settings.default_language
    await page.locator("#flash.error", has_text=Words(desk, lang).t(key)).wait_for(timeout=10_000)
    assert await page.locator(f"a[data-number='{row['number']}']").count() == 0
    await context.close()


class Words:
    """Catalog texts in one language."""

    def __init__(self, desk: Desk, lang: str) -> None:
        from bot.texts import default_catalog

        self.catalog, self.lang = default_catalog(), lang

    def t(self, key: str, **params: Any) -> str:
        """A text."""
        return self.catalog.text(self.lang, key, **params)
