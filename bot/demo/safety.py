"""What keeps the demo from ever messaging real people or writing into a real desk's database."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings

# Written into the SQLite header of every database the demo makes ("EDMO"): a database
# without it was made by a real bot, and the demo keeps its hands off its tickets.
DEMO_APPLICATION_ID = 0x45444D4F
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
REAL_TELEGRAM = 6  # exit codes: the demo would talk to a real Telegram …
REAL_DATABASE = 7  # … or write into a database that is not a demo's


class Refusal(Exception):
    """The demo must not start; ``code`` is the process exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def is_local_url(url: str) -> bool:
    """True for an http(s) URL on this machine (the emulator, a local test server)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host in LOCAL_HOSTS


def check_telegram(settings: Settings, env: Mapping[str, str]) -> None:
    """Refuse a real Bot API URL, or a bot token with no local server to go with it."""
    base = settings.telegram.api_base_url
    if base and not is_local_url(base):
        raise Refusal(
            f"the demo never talks to a real Telegram, but telegram.api_base_url is {base!r}"
            " (from TELEGRAM_API_BASE_URL or config.yaml): unset it to run the demo",
            REAL_TELEGRAM,
        )
    if env.get("TELEGRAM_BOT_TOKEN") or settings.telegram.token:
        raise Refusal(
            "a real bot token is set (TELEGRAM_BOT_TOKEN or telegram.token) and the demo must"
            " never message real people: run it in a shell without the token"
            " (env -u TELEGRAM_BOT_TOKEN python -m bot demo)",
            REAL_TELEGRAM,
        )


def check_database(path: Path) -> None:
    """Refuse an existing database the demo did not make (a real desk's tickets)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            mark = db.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            tickets = (
                db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
                if "tickets" in tables
                else 0
            )
    except sqlite3.DatabaseError as exc:
        raise Refusal(
            f"{path} is not a demo database (SQLite cannot read it: {exc}); give a new file",
            REAL_DATABASE,
        ) from None
    if mark == DEMO_APPLICATION_ID:
        return
    held = f"it holds {tickets} ticket{'s' * (tickets != 1)}" if tickets else "it has tables"
    if tickets or tables:
        raise Refusal(
            f"{path} was not made by the demo ({held}): the demo never writes into a real"
            " desk's database; give a new file with --db, or leave --db out",
            REAL_DATABASE,
        )


def mark_database(path: Path) -> None:
    """Create (or keep) ``path`` as a demo database: the mark goes into its header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")
    db.close()
