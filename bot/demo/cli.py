"""``python -m bot demo``: check it is safe, start the emulator, the bot and the page, wait."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.core.flow import Flow
from bot.demo.safety import REAL_DATABASE, Refusal, check_database, check_telegram
from bot.demo.session import DemoOptions, DemoSession
from bot.demo.texts import LANGUAGES
from bot.demo.web import build_app
from bot.tg.runtime import CannotStart, RuntimeOptions

# The demo's bot wakes a little more often than a production one: a click shows at once.
DEMO_RUNTIME = RuntimeOptions(poll_timeout=2.0, outbox_idle=0.2, timer_nap=0.5)


def _port(text: str) -> int:
    """A TCP port number (0: any free one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return port


def add_demo_arguments(cmd: argparse.ArgumentParser) -> None:
    """The demo's own options (``--config`` and ``--flows`` are shared with the others)."""
    cmd.add_argument("--port", type=_port, default=8080, help="the page's port (default 8080)")
    cmd.add_argument("--lang", choices=LANGUAGES, default=None, help="page and people's language")
    cmd.add_argument(
        "--db",
        default=None,
        help="keep the demo's SQLite database in this file (default: a temporary folder)",
    )
    cmd.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=None,
        help="the demo clock's start, ISO with offset (default: 10:00 on a working day)",
    )


def demo_main(args: argparse.Namespace, settings: Settings, flows: dict[str, Flow]) -> int:
    """Run the demo until Ctrl-C; the exit code says why it would not start."""
    lang = args.lang or settings.default_language
    try:
        check_telegram(settings, os.environ)
        if args.db is not None and "://" in args.db:
            said = "--db takes an SQLite file for the demo, not a database URL"
            raise Refusal(said, REAL_DATABASE)
        if args.db is not None:
            check_database(Path(args.db))
    except Refusal as refusal:
        print(f"demo refused: {refusal}", file=sys.stderr)
        return refusal.code
    if args.start is not None and args.start.tzinfo is None:
        print("--start needs a UTC offset, e.g. 2026-11-26T10:00+08:00", file=sys.stderr)
        return 2
    folder = None if args.db is not None else Path(tempfile.mkdtemp(prefix="estatedesk-demo-"))
    db_path = Path(args.db) if args.db is not None else Path(folder or ".") / "demo.sqlite3"
    options = DemoOptions(
        config=args.config,
        flows=flows,
        lang=lang,
        db_path=db_path,
        start=args.start,
        runtime=DEMO_RUNTIME,
    )
    try:
        return asyncio.run(serve(DemoSession(options, settings), args.port))
    except Refusal as refusal:
        print(f"demo refused: {refusal}", file=sys.stderr)
        return refusal.code
    except CannotStart as exc:
        print(f"demo cannot start: {exc}", file=sys.stderr)
        return 4
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


async def serve(session: DemoSession, port: int) -> int:
    """Start everything, print the URL, and run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await session.start()
    runner = web.AppRunner(build_app(session), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except OSError as exc:
            print(f"demo cannot listen on 127.0.0.1:{port}: {exc.strerror}", file=sys.stderr)
            return 4
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        print(f"EstateDesk demo: open {url} (Ctrl-C stops it)", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        await session.stop()
    return 0
