"""Running the real bot in-process against the fake server, with a fixed clock."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import (
    Settings,
    apply_env_overrides,
    expand_env,
    read_yaml,
    settings_from_data,
)
from bot.loading import load_all
from bot.store import Storage
from bot.tg.runtime import BotRuntime, RuntimeOptions
from tests.fakebot import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token"
# Thursday 2026-11-26 10:00 in Shanghai: inside business hours.
DEFAULT_NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
# ESTATEDESK_TEST_STORAGE=postgres runs every Desk on a fresh PostgreSQL database (tests/pg.py).
ON_POSTGRES = os.environ.get("ESTATEDESK_TEST_STORAGE", "sqlite") == "postgres"
sqlite_only = pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite only: uses the .sqlite3 file, its lock file or SQLite's own SQL"
)

_pg_server: Any = None  # the session's tests.pg.PgServer, set by conftest on PostgreSQL runs
_pg_urls: dict[Path, str] = {}  # a test's folder → its database: Desks in one test share it


def use_pg_server(server: Any) -> None:
    """Give the harness the session's PostgreSQL server (conftest does, on PostgreSQL runs)."""
    global _pg_server
    _pg_server = server


def database_url(tmp_path: Path) -> str | None:
    """The PostgreSQL database of a test's folder (created at first), or None on SQLite."""
    if not ON_POSTGRES:
        return None
    assert _pg_server is not None, "conftest did not start the PostgreSQL server"
    if tmp_path not in _pg_urls:
        _pg_urls[tmp_path] = _pg_server.create_database()
    return _pg_urls[tmp_path]


def _as_sqlite(value: Any) -> Any:
    """A PostgreSQL value as SQLite stores it (timestamps as text, the way ``ts`` writes them)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _numbered(sql: str) -> str:
    """SQLite's ``?`` placeholders as PostgreSQL's ``$1``, ``$2`` … (not inside quotes)."""
    out: list[str] = []
    quoted = False
    count = 0
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "?" and not quoted:
            count += 1
            out.append(f"${count}")
        else:
            out.append(char)
    return "".join(out)


class FakeClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


def quick_pace(data: dict[str, Any]) -> None:
    """A config edit: limits a test server takes (still paced, a hundred times faster).

    At Telegram's pace (about one message a second to a chat) a simulated person who answers at
    once waits a second at every step; a test of something other than pacing need not.
    """
    telegram = data.setdefault("telegram", {})
    telegram["messages_per_second"] = 1000
    telegram["chat_messages_per_second"] = 100
    telegram["group_messages_per_minute"] = 2000


def settings_for(
    fake: FakeBotApi,
    db_path: Path,
    config: Path = ROOT / "config.yaml",
    edit: Callable[[dict[str, Any]], None] | None = None,
    telegram_pace: bool = False,
    db_url: str | None = None,
) -> Settings:
    """The shipped config pointed at the fake server and a test database (``db_url`` wins over
    ``db_path``), optionally edited; at a test server's pace unless ``telegram_pace``."""
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.url,
        "DATABASE_PATH": str(db_path),
        "DATABASE_URL": db_url or "",
    }
    data = apply_env_overrides(expand_env(read_yaml(config), env), env)
    if not telegram_pace:
        quick_pace(data)
    if edit is not None:
        edit(data)
    return settings_from_data(data, str(config))


def register_staff(fake: FakeBotApi, settings: Settings) -> None:
    """Staff have opened the bot and the staff groups have it as a member, as in real life."""
    for member in settings.staff:
        fake.user(member.telegram_id, first_name=member.name, language_code="zh-hans")
    for dept in settings.departments:
        if dept.group_chat_id is not None:
            fake.group(dept.group_chat_id, title=f"{dept.id} team")


class Desk:
    """The bot under test: start, stop and restart it on the same database."""

    def __init__(
        self,
        fake: FakeBotApi,
        tmp_path: Path,
        clock: Callable[[], datetime] | None = None,
        edit: Callable[[dict[str, Any]], None] | None = None,
        telegram_pace: bool = False,
    ) -> None:
        self.fake = fake
        self.db_path = tmp_path / "desk.sqlite3"
        self.db_url = database_url(tmp_path)  # None: the SQLite file db_path
        self.settings = settings_for(
            fake, self.db_path, edit=edit, telegram_pace=telegram_pace, db_url=self.db_url
        )
        _, self.flows = load_all(ROOT / "config.yaml")
        self.clock: Any = clock or FakeClock()
        self.runtime: BotRuntime | None = None
        register_staff(fake, self.settings)

    async def start(self) -> None:
        """Start polling and delivering."""
        options = RuntimeOptions(
            clock=self.clock, poll_timeout=1.0, outbox_idle=0.05, timer_nap=0.05
        )
        self.runtime = BotRuntime(self.settings, self.flows, options)
        await self.runtime.start()

    async def stop(self) -> None:
        """Stop cleanly."""
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def restart(self) -> None:
        """Stop and start again on the same database."""
        await self.stop()
        await self.start()

    @property
    def store(self) -> Storage:
        """The running bot's store."""
        assert self.runtime is not None and self.runtime.store is not None
        return self.runtime.store

    async def outbox_settled(self, within: float = 10.0) -> None:
        """Wait until the outbox has nothing pending (every message sent or failed)."""
        import asyncio
        import time

        deadline = time.monotonic() + within
        while await self.rows("SELECT id FROM outbox WHERE status = 'pending'"):
            assert time.monotonic() < deadline, await self.rows("SELECT * FROM outbox")
            await asyncio.sleep(0.05)

    async def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Read rows straight from the database (independent of the store's API)."""
        return await read_rows(self.db_path, self.db_url, sql, *params)

    async def execute(self, sql: str, *params: Any) -> None:
        """Change rows straight in the database, committed (a test's set-up); ``?`` placeholders."""
        if self.db_url is not None:
            import asyncpg

            conn = await asyncpg.connect(self.db_url)
            try:
                await conn.execute(_numbered(sql), *params)
            finally:
                await conn.close()
            return
        import aiosqlite

        async with aiosqlite.connect(self.db_path) as db:
            await db.execute(sql, params)
            await db.commit()


async def read_rows(
    db_path: Path, db_url: str | None, sql: str, *params: Any
) -> list[dict[str, Any]]:
    """Rows straight from the SQLite file, or from PostgreSQL when ``db_url`` is given; the SQL
    is written with SQLite's ``?`` placeholders, translated for PostgreSQL."""
    if db_url is not None:
        import asyncpg

        conn = await asyncpg.connect(db_url)
        try:
            rows = await conn.fetch(_numbered(sql), *params)
        finally:
            await conn.close()
        # Tests compare with what SQLite holds: timestamps as UTC ISO text (bot.store.sqlite.db).
        return [{k: _as_sqlite(v) for k, v in r.items()} for r in rows]
    import aiosqlite

    async with aiosqlite.connect(db_path) as db:
        db.row_factory = aiosqlite.Row
        cursor = await db.execute(sql, params)
        return [dict(r) for r in await cursor.fetchall()]


class Words:
    """The labels a person sees, in one language, so tests press buttons by their text."""

    def __init__(self, settings: Settings, lang: str) -> None:
        from bot.texts import default_catalog

        self.settings = settings
        self.lang = lang
        self.catalog = default_catalog()

    def t(self, key: str, **params: Any) -> str:
        """A catalog text."""
        return self.catalog.text(self.lang, key, **params)

    def category(self, cid: str) -> str:
        """A category's name."""
        cat = self.settings.category(cid)
        assert cat is not None
        return self.settings.text(cat.name, self.lang)

    def sub(self, cid: str, sid: str) -> str:
        """A subcategory's name."""
        cat = self.settings.category(cid)
        assert cat is not None
        return next(self.settings.text(s.name, self.lang) for s in cat.subcategories if s.id == sid)

    def estate(self, eid: str) -> str:
        """An estate's name."""
        estate = self.settings.estate(eid)
        assert estate is not None
        return self.settings.text(estate.name, self.lang)

    def building(self, eid: str, bid: str) -> str:
        """A building's name."""
        estate = self.settings.estate(eid)
        assert estate is not None
        return next(self.settings.text(b.name, self.lang) for b in estate.buildings if b.id == bid)

    def area(self, aid: str) -> str:
        """A common area's name."""
        found = self.settings.area(aid)
        assert found is not None
        return self.settings.text(found[1].name, self.lang)

    def urgency(self, uid: str) -> str:
        """An urgency's name."""
        level = self.settings.urgency(uid)
        assert level is not None
        return self.settings.text(level.name, self.lang)


async def expect(user: Any, needle: str, wait: float = 5.0) -> Any:
    """Wait for the next bot message in the user's chat whose text contains ``needle``."""
    return await user.wait_for_message(lambda m: needle in (m.text or ""), timeout=wait)
