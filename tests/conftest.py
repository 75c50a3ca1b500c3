"""Shared fixtures: the fake Bot API server and a running bot against it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# PTB 22 warns about integer time periods unless this is set; tests run with warnings as errors.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from tests.fakebot import FakeBotApi
from tests.harness import Desk


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """A fake Telegram Bot API server on 127.0.0.1."""
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The real bot (shipped config, fixed clock, a fresh database) polling the fake server."""
    bot = Desk(fake, tmp_path)
    await bot.start()
    yield bot
    await bot.stop()
