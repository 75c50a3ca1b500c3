"""The database on the command line: ``migrate``, ``copy-db``, and what a failure to open says."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings
from bot.store.errors import StorageError, StorageUnavailable
from bot.store.open import Versioned, open_storage

# Exit codes of a database the bot cannot use (3 is "already running", 2 a bad config).
EXIT_UNREACHABLE = 4
EXIT_WRONG_DATABASE = 5


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def storage_failure(exc: StorageError, settings: Settings) -> int:
    """Print why the database cannot be used and return the exit code (4 or 5)."""
    text = str(exc)
    # The backend never puts the password in its message; this is a second line of defence.
    password = _password(settings.storage.url)
    if password:
        text = text.replace(password, "***")
    print(f"cannot start: {text}", file=sys.stderr)
    return EXIT_UNREACHABLE if isinstance(exc, StorageUnavailable) else EXIT_WRONG_DATABASE


class _Steps(logging.Handler):
    """Collects the schema-upgrade lines the backends log while opening the database."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the line."""
        self.lines.append(record.getMessage())


def _missing(path: str) -> bool:
    return not Path(path).exists()


async def _postgres_is_new(url: str) -> bool:
    """True when the PostgreSQL database has no EstateDesk schema yet."""
    from bot.store.postgres.db import connect
    from bot.store.postgres.schema import VERSION_TABLE

    conn = await connect(url)  # StorageUnavailable, like opening the store
    try:
        return await conn.fetchval("SELECT to_regclass($1)", VERSION_TABLE) is None
    finally:
        await conn.close()


async def _migrate(settings: Settings) -> tuple[bool, int]:
    storage = settings.storage
    if storage.backend == "sqlite":
        # Checked before opening, which creates the file.
        new = storage.path == ":memory:" or await asyncio.to_thread(_missing, storage.path)
    else:
        new = await _postgres_is_new(storage.url)
    store = await open_storage(settings)  # opening applies what is missing
    try:
        assert isinstance(store, Versioned)
        version = await store.schema_version()
    finally:
        await store.close()
    return new, version


def migrate_main(settings: Settings) -> int:
    """``migrate``: bring the configured database's schema up to date; returns the exit code."""
    steps = _Steps()
    logger = logging.getLogger("bot.store")
    logger.addHandler(steps)
    propagate, logger.propagate = logger.propagate, False  # the steps go to stdout, once
    try:
        new, version = asyncio.run(_migrate(settings))
    except StorageError as exc:
        return storage_failure(exc, settings)
    finally:
        logger.removeHandler(steps)
        logger.propagate = propagate
    for line in steps.lines:
        print(line)
    if new:
        print(f"database: created {settings.storage.shown} at schema version {version}")
    elif steps.lines:
        print(f"database: schema version {version} (updated)")
    else:
        print(f"database: schema version {version} (up to date)")
    return 0


def _hide(text: str, *urls: str) -> str:
    """``text`` with the passwords of ``urls`` blanked (messages may quote them)."""
    for url in urls:
        password = _password(url)
        if password:
            text = text.replace(password, "***")
    return text


def copy_db_main(source: str, target: str) -> int:
    """``copy-db``: copy every table of ``source`` into the empty ``target``; the exit code."""
    from bot.config.storage import mask_password
    from bot.store.copy import CopyError, TargetNotEmpty, copy_database

    def progress(table: str, done: int, total: int) -> None:
        print(f"{table}: {done}/{total}", file=sys.stderr, flush=True)

    shown = f"{mask_password(source)} -> {mask_password(target)}"
    print(f"copying {shown}", file=sys.stderr)
    try:
        counts = asyncio.run(copy_database(source, target, progress))
    except ValueError as exc:
        print(f"cannot copy: {_hide(str(exc), source, target)}", file=sys.stderr)
        return 2
    except TargetNotEmpty as exc:
        print(f"cannot copy: {exc}", file=sys.stderr)
        return EXIT_WRONG_DATABASE
    except CopyError as exc:
        print(f"cannot copy: {_hide(str(exc), source, target)}", file=sys.stderr)
        return 1
    except StorageError as exc:
        print(f"cannot copy: {_hide(str(exc), source, target)}", file=sys.stderr)
        return EXIT_UNREACHABLE if isinstance(exc, StorageUnavailable) else EXIT_WRONG_DATABASE
    wrong = [table for table, mine, theirs in counts if mine != theirs]
    for table, mine, theirs in counts:
        flag = "" if mine == theirs else f"  MISMATCH (source has {mine})"
        print(f"{table}: {theirs} rows{flag}")
    if wrong:
        print(f"copy-db: row counts differ in {', '.join(wrong)}", file=sys.stderr)
        return 1
    print(f"copied {shown}")
    return 0
