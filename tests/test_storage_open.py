"""Opening the configured database: the backend by URL, and what is refused."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.store import MIGRATIONS, Store
from bot.store.errors import SchemaTooNew
from bot.store.open import open_storage

ROOT = Path(__file__).resolve().parent.parent


def _settings(env: dict[str, str]) -> Settings:
    return load_settings(ROOT / "config.yaml", env={"TELEGRAM_BOT_TOKEN": "1:x", **env})


async def test_sqlite_refuses_a_schema_newer_than_the_code(tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(SchemaTooNew) as caught:
        await Store.open(db)
    assert (caught.value.found, caught.value.known) == (len(MIGRATIONS) + 1, len(MIGRATIONS))
    assert "run the newer release" in str(caught.value)
    with sqlite3.connect(db) as conn:  # left as it was: nothing written, nothing created
        assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS) + 1,)
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


async def test_open_storage_takes_sqlite_from_the_url(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "desk.sqlite3"
    store = await open_storage(_settings({"DATABASE_URL": f"sqlite:///{db}"}))
    try:
        assert isinstance(store, Store)
        assert await store.schema_version() == len(MIGRATIONS)
    finally:
        await store.close()
    assert db.exists()


def test_sqlite_users_never_load_the_postgresql_driver(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from bot.config import load_settings\n"
        "from bot.store.open import open_storage\n"
        "import bot.tg.runtime, bot.cli, bot.cli_db\n"
        f"s = load_settings('config.yaml', env={{'DATABASE_PATH': {str(tmp_path / 'd.db')!r}}})\n"
        "async def main():\n"
        "    await (await open_storage(s)).close()\n"
        "asyncio.run(main())\n"
        "assert 'asyncpg' not in sys.modules, 'asyncpg was imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
