"""Shared fixtures: the fake Bot API server and a running bot against it."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# PTB 22 warns about integer time periods unless this is set; tests run with warnings as errors.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from tests import harness
from tests.fakebot import FakeBotApi
from tests.harness import Desk
from tests.pg import pg_server  # noqa: F401  (the fixture, for PostgreSQL runs of the e2e tests)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """A fake Telegram Bot API server on 127.0.0.1."""
    async with FakeBotApi() as server:
        yield server
    refused = server.refused()
    if refused:
        # Real Telegram would have answered these with an error: the test must not pass.
        pytest.fail(
            "calls real Telegram would refuse (method: parameter: reason):\n  "
            + "\n  ".join(refused),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _postgres_for_desks(request: pytest.FixtureRequest) -> None:
    """On a PostgreSQL run (ESTATEDESK_TEST_STORAGE=postgres) every Desk gets a fresh database
    on the session's server; on SQLite this does nothing."""
    if harness.ON_POSTGRES:
        harness.use_pg_server(request.getfixturevalue("pg_server"))


@pytest.fixture
async def desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Desk]:
    """The real bot (shipped config, fixed clock, a fresh database) polling the fake server."""
    bot = Desk(fake, tmp_path)
    await bot.start()
    yield bot
    await bot.stop()


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remember how the run ended, for the check below."""
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Never hang at exit: a thread left running (an unclosed database) is named, and the run
    fails at once instead of waiting for it forever."""
    leaked = [
        t
        for t in threading.enumerate()
        if t is not threading.main_thread() and not t.daemon and t.is_alive()
    ]
    for thread in leaked:
        thread.join(timeout=5)
    leaked = [t for t in leaked if t.is_alive()]
    if leaked:
        names = ", ".join(t.name for t in leaked)
        sys.stderr.write(f"\nthreads still running after the tests: {names}\n")
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(_exit_status or 1)
