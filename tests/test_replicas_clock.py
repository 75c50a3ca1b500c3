"""A replica whose machine clock is ten minutes fast fires no deadline early.

Two ``python -m bot run`` on one PostgreSQL, one of them with libfaketime at +10 minutes. Both plan
every open ticket's deadlines (bot/desk/sweep.py); the fast one would escalate a fresh ticket
at once if it trusted its own clock. It takes the database's time instead
(bot.clock.DatabaseClock), so the escalation comes when the 25 s accept deadline passes.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from tests.fakebot import FakeBotApi
from tests.harness import Words, register_staff, settings_for
from tests.pg import pg_server, pg_url  # noqa: F401
from tests.test_faults import Report, TolerantOwner
from tests.test_replicas_e2e import Replica, _value, short_deadlines

# libfaketime preloaded into the bot itself (the faketime wrapper would stand between the
# test and the process, and a SIGTERM to it would not reach the bot).
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


@pytest.mark.skipif(not LIBFAKETIME.exists(), reason="needs libfaketime (Debian: faketime)")
async def test_a_fast_clock_does_not_escalate_early(
    fake: FakeBotApi,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = short_deadlines(tmp_path)
    settings = settings_for(fake, tmp_path / "unused.sqlite3", config)
    register_staff(fake, settings)
    honest = Replica(fake, pg_url, config, tmp_path / "honest.log")
    skewed = {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": "+10m"}
    fast = Replica(fake, pg_url, config, tmp_path / "fast.log", skewed)
    try:
        for replica in (honest, fast):
            await replica.start()
            await replica.started()
        report = Report(description="Clock test: no water", unit="1101")
        owner = TolerantOwner(
            fake.user(8_400_001, language_code="en"),
            Words(settings, "en"),
            report,
            random.Random(3),
            think=(0.1, 0.3),
        )
        filing = await owner.file(within=60.0)
        shown = time.monotonic()
        assert filing.number is not None
        escalated = None
        while time.monotonic() - shown < 45:
            n = await _value(pg_url, "SELECT COUNT(*) FROM ticket_events WHERE kind = 'escalated'")
            if n:
                escalated = time.monotonic() - shown
                break
            await asyncio.sleep(0.2)
        created_lag = await _value(
            pg_url, "SELECT EXTRACT(EPOCH FROM now() - created_at) FROM tickets"
        )
    finally:
        for replica in (honest, fast):
            await replica.terminate()
    # The ticket's times are the database's: not ten minutes ahead, whoever wrote it.
    assert -5 < float(created_lag) < 120
    # Accept within 25 s: escalated when that passed (the number was shown after creation).
    assert escalated is not None, "the deadline was never escalated"
    assert escalated > 18, f"escalated {escalated:.1f}s after the number was shown"
    assert "off the database's" in fast.text()  # it noticed, and said so
