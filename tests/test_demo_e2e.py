"""The demo end to end in headless Chromium: the page drives the real bot on the emulator."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests.browser import browser  # noqa: F401  (the fixture)
from tests.demo_harness import LEAK, Demo, owner_report_script, running_demo
from tests.harness import Words, read_rows

LIGHT = "The lobby light keeps flickering"
WAIT = 15_000  # ms: a step of the bot, on a loaded machine


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """The demo in-process on a free port, as ``python -m bot demo --lang en`` runs it."""
    async with running_demo(tmp_path / "demo.sqlite3") as running:
        yield running


async def open_chat(page: Page, key: str) -> None:
    """Pick a chat in the list."""
    await page.locator(f'#chats li[data-persona="{key}"]').click()
    await expect(page.locator(f'#chats li.open[data-persona="{key}"]')).to_be_visible()


async def press(page: Page, *labels: str) -> None:
    """Tap the newest inline button whose label holds one of these as whole words (stars before
    a rating, "← suggested" after an urgency), or of several alternatives."""
    either = "|".join(re.escape(label) for label in labels)
    whole = re.compile(f"(?:^|\\s)(?:{either})(?:\\s|$)")
    button = page.locator(".inline button").filter(has_text=whole)
    await button.last.click(timeout=WAIT)


async def type_text(page: Page, text: str) -> None:
    """Type a message and send it."""
    await page.locator("#text").fill(text)
    await page.locator("#send").click()


async def see(page: Page, needle: str) -> None:
    """Wait until a message in the open chat shows this text (case and all)."""
    exact = re.compile(re.escape(needle))  # a plain string would match "/start hv-1-lobby"
    await expect(page.locator("#messages .msg").filter(has_text=exact).last).to_be_visible(
        timeout=WAIT
    )


async def keyboard_tap(page: Page, label: str) -> None:
    """Tap a button of the reply keyboard under the chat."""
    await page.locator("#keyboard button").filter(has_text=label).click(timeout=WAIT)


async def report_leak_as_owner(page: Page, w: Words) -> None:
    """The owner's scripted path (``owner_report_script``), played by clicking and typing."""
    await page.locator("#start").click()
    for step in owner_report_script(w, photo=True):
        if step.kind == "press":
            await press(page, step.value)
        elif step.kind == "tap":
            await keyboard_tap(page, step.value)
        elif step.kind == "type":
            await type_text(page, step.value)
        elif step.kind == "see":
            await see(page, step.value)
        else:  # Telegram's way: type the caption, attach the photo, the text goes with it
            await page.locator("#text").fill(step.caption)
            await page.locator("#attach").click()
            await expect(page.locator("#caption")).to_have_value(step.caption)
            await page.locator(f'#sample-list img[data-sample="{step.value}"]').click()
            await expect(page.locator("#text")).to_have_value("", timeout=WAIT)


async def test_owner_engineer_survey_through_the_page(
    demo: Demo,
    browser: Browser,  # noqa: F811  (the fixture imported above)
) -> None:
    w = Words(demo.session.settings, "en")
    page = await browser.new_page()
    await page.goto(demo.url)
    await expect(page.locator("body[data-ready='1']")).to_be_attached(timeout=WAIT)
    await open_chat(page, "owner1")
    await report_leak_as_owner(page, w)
    mine = page.locator("#messages .msg.me").filter(has=page.locator("img"))
    await expect(mine).to_contain_text(LEAK)  # the sample photo, its caption the description
    # The phone question's one-time keyboard went away once used; the contact is shown.
    await expect(page.locator("#keyboard button")).to_have_count(0)
    await expect(page.locator("#messages .msg.me").filter(has_text="📱 +1555")).to_have_count(1)
    # The report was one card edited in place, not a message per question.
    # (the bot's one message holding her description, case and all: the ask's example is
    # lower case)
    card = page.locator("#messages .msg:not(.me)").filter(has_text=re.compile(re.escape(LEAK)))
    await expect(card).to_have_count(1)
    await expect(card.locator(".meta")).to_contain_text("edited")
    await open_chat(page, "group")  # the department's staff group got the card too
    await see(page, "HV-")

    engineer = "staff-7034518826"  # 王师傅: Harbour View's day shift; the page's language
    await open_chat(page, engineer)
    await see(page, "HV-")
    await press(page, w.t("card.btn_accept"))
    await press(page, w.t("card.btn_resolve"))
    await see(page, "what was done?")
    await type_text(page, "Replaced the cracked pipe joint")
    await press(page, w.t("flow.btn_no_photos"))
    await press(page, w.t("flow.btn_submit"))

    await open_chat(page, "owner1")
    await see(page, "Replaced the cracked pipe joint")  # the resolution reached the owner
    # It asks the first survey question at once; left unanswered for a day, the survey comes
    # again on its own: fast-forward, and rate on that one.
    ratings = page.locator(".inline").filter(has_text=w.t("survey.rating.5"))
    await expect(ratings).to_have_count(1, timeout=WAIT)
    await page.locator("[data-clock='1440']").click()  # +1 day: the survey is due
    await see(page, w.t("survey.invite", number="", category="", staff="").split("?")[0])
    await expect(ratings).to_have_count(2, timeout=WAIT)
    await press(page, w.t("survey.rating.5"))  # the newest: the survey sent on its own
    await expect(page.locator("#steps li[data-done='1']")).to_have_count(7, timeout=WAIT)

    tickets = await read_rows(demo.db, None, "SELECT id, status, description, photos FROM tickets")
    assert [(t["status"], t["description"]) for t in tickets] == [("closed", LEAK)]
    assert len(json.loads(tickets[0]["photos"])) == 1
    surveys = await read_rows(
        demo.db,
        None,
        "SELECT status, rating, sent_at IS NOT NULL AS sent FROM surveys WHERE ticket_id = ?",
        tickets[0]["id"],
    )
    assert surveys == [{"status": "answered", "rating": 5, "sent": 1}]


async def test_reply_gesture_quotes_the_message_and_a_bad_input_is_explained(
    demo: Demo,
    browser: Browser,  # noqa: F811  (the fixture imported above)
) -> None:
    page = await browser.new_page()
    await page.goto(demo.url)
    await open_chat(page, "owner2")
    await page.locator("#start").click()
    welcome = page.locator("#messages .msg").filter(has_text="Harbour View").first
    await welcome.hover()
    await welcome.locator(".reply-btn").click()
    await expect(page.locator("#replying")).to_be_visible()
    await type_text(page, "Is the gym open today?")
    mine = page.locator("#messages .msg.me").filter(has_text="Is the gym open today?")
    await expect(mine.locator(".quote")).to_contain_text("Harbour View", timeout=WAIT)
    await expect(page.locator("#replying")).to_be_hidden()
    await type_text(page, "x" * 5000)  # longer than a Telegram message may be
    await expect(page.locator("#toast")).to_contain_text("4096", timeout=WAIT)
    assert await page.locator("#text").input_value() == "x" * 5000  # nothing lost


async def test_a_qr_scan_and_an_uploaded_photo_with_a_caption(
    demo: Demo,
    browser: Browser,  # noqa: F811  (the fixture imported above)
) -> None:
    w = Words(demo.session.settings, "en")
    page = await browser.new_page()
    await page.goto(demo.url)
    await open_chat(page, "owner2")
    await page.locator("#scan").click()
    await page.locator('#area-list button[data-area="hv-1-lobby"]').click()
    await see(page, w.t("intake.ask_what"))
    await page.locator("#text").fill("y" * 1100)  # too long for a caption: refused, kept
    await page.locator("#attach").click()
    await page.locator('#sample-list img[data-sample="light"]').click()
    await expect(page.locator("#toast")).to_contain_text("1024", timeout=WAIT)
    assert await page.locator("#text").input_value() == "y" * 1100
    await page.locator("#text").fill("")
    await page.locator("#attach").click()
    await page.locator("#caption").fill(LIGHT)
    picture = io.BytesIO()
    Image.new("RGB", (60, 40), (240, 230, 120)).save(picture, format="PNG")
    await page.locator("#file").set_input_files(
        files=[{"name": "lobby.png", "mimeType": "image/png", "buffer": picture.getvalue()}]
    )
    await see(page, w.t("intake.card_summary"))
    card = page.locator("#messages .msg").filter(has_text=w.t("intake.card_summary"))
    await expect(card).to_contain_text(w.area("hv-1-lobby"))
    await expect(card).to_contain_text(w.t("flow.photos_summary", count=1))
    await press(page, w.t("flow.btn_submit"))
    await see(page, w.t("intake.ask_phone"))
    await keyboard_tap(page, w.t("flow.btn_skip"))
    await see(page, "HV-")
    await expect(page.locator("#keyboard button")).to_have_count(0)
    rows = await read_rows(demo.db, None, "SELECT area, description, photos FROM tickets")
    assert [(r["area"], r["description"]) for r in rows] == [("hv-1-lobby", LIGHT)]
    assert len(json.loads(rows[0]["photos"])) == 1
