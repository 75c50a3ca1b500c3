"""A headless Chromium for page tests: Playwright driving Debian's chromium."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium floods a closed network with connections.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALLED = CHROMIUM.exists()
ROOT = Path(__file__).resolve().parent.parent


def screenshot_path(name: str, tmp: Path) -> Path:
    """Where a page test saves its screenshot: docs/screenshots with ESTATEDESK_SCREENSHOTS=1
    (to refresh the README's pictures), else the test's temporary folder, so an ordinary
    run leaves the checkout as it was."""
    if os.environ.get("ESTATEDESK_SCREENSHOTS") == "1":
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name
    return tmp / name


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A fresh headless Chromium, closed after the test (skipped where Debian's chromium is
    missing; on CI, where .ci/run installs it, a failure)."""
    if not INSTALLED:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: apt-get install -y chromium")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()
