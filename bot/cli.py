"""The command line: ``python -m bot run | demo | web | check-config | migrate | copy-db | qr |
import-units`` (and reports)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.cli_reports import add_report_commands
from bot.loading import LoadError, load_all

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="EstateDesk Telegram bot")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "run the bot (long polling)"),
        ("check-config", "validate config.yaml and the flow files"),
        ("migrate", "bring the database's schema up to date (the bot also does so at start)"),
        ("qr", "write one QR-code PNG per common area (deep links into the bot)"),
        ("copy-db", "copy every table of one database into a new, empty one (e.g. to PostgreSQL)"),
        ("demo", "try the desk in a browser: no token, no network (a built-in Telegram emulator)"),
        (
            "web",
            "serve the supervisor dashboard alone (web.listen / WEB_LISTEN) on the bot's database",
        ),
        ("import-units", "add the flats of a CSV file (estate,building,unit) to the unit register"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument(
            "--config",
            type=Path,
            default=Path("config.yaml"),
            help="path to config.yaml (default: ./config.yaml)",
        )
        cmd.add_argument(
            "--flows",
            type=Path,
            default=None,
            help="folder of flow files (default: flows/ beside the config)",
        )
        if name == "qr":
            cmd.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
            cmd.add_argument(
                "--bot-username",
                default=None,
                help="the bot's @username (default: telegram.bot_username)",
            )
            cmd.add_argument("--lang", default=None, help="label language (default: default)")
        if name == "import-units":
            cmd.add_argument("file", type=Path, help="CSV file: estate,building,unit per row")
        if name == "copy-db":
            cmd.add_argument(
                "--from", dest="source", required=True, help="source URL (sqlite:///FILE or …)"
            )
            cmd.add_argument(
                "--to", dest="target", required=True, help="target URL (postgresql://…), empty"
            )
        if name == "demo":
            from bot.demo.cli import add_demo_arguments

            add_demo_arguments(cmd)
    add_report_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings, flows = load_all(args.config, args.flows)
    except LoadError as exc:
        count = len(exc.errors)
        print(
            f"{args.config}: invalid configuration ({count} problem{'s' * (count != 1)}):",
            file=sys.stderr,
        )
        for error in exc.errors:
            print(f"  - {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"cannot read {exc.filename}: no such file", file=sys.stderr)
        return 2
    if args.command == "check-config":
        from bot.config import summarize

        print(f"{args.config}: OK")
        print(summarize(settings))
        print(f"database: {settings.storage.backend} {settings.storage.shown}")
        steps = ", ".join(
            f"{f.id} ({len(f.steps)} step{'s' * (len(f.steps) != 1)})" for f in flows.values()
        )
        print(f"flows: {steps}")
        return 0
    if args.command == "qr":
        return _qr(args, settings)
    if args.command == "migrate":
        from bot.cli_db import migrate_main

        return migrate_main(settings)
    if args.command == "copy-db":
        from bot.cli_db import copy_db_main

        return copy_db_main(args.source, args.target)
    if args.command == "web":
        from bot.cli_db import storage_failure
        from bot.store.errors import StorageError
        from bot.web.standalone import web_main

        try:
            return web_main(settings)
        except StorageError as exc:
            return storage_failure(exc, settings)
    if args.command == "import-units":
        from bot.cli_units import import_units_main

        return import_units_main(args.file, settings)
    if args.command in ("export", "report"):
        from bot.cli_reports import export_main, report_main

        return (export_main if args.command == "export" else report_main)(args, settings)
    if args.command == "demo":
        from bot.demo.cli import demo_main

        return demo_main(args, settings, flows)
    if not settings.telegram.token:
        print(
            "telegram.token is empty: set the TELEGRAM_BOT_TOKEN environment variable to the"
            " token @BotFather gave you (config.yaml reads it as ${TELEGRAM_BOT_TOKEN}).",
            file=sys.stderr,
        )
        return 2
    from bot.cli_db import storage_failure
    from bot.redaction import hide_token_in_logs, redact
    from bot.store.errors import StorageError
    from bot.tg.runtime import AlreadyRunning, BotRuntime, CannotStart, run_until_signalled

    # A belt to the transport's braces: whatever a library logs, the token is blanked.
    hide_token_in_logs(settings.telegram.token)
    try:
        asyncio.run(run_until_signalled(BotRuntime(settings, flows)))
    except AlreadyRunning as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except CannotStart as exc:
        print(f"cannot start: {redact(str(exc), settings.telegram.token)}", file=sys.stderr)
        return 4
    except StorageError as exc:  # unreachable (4), or a database this release must not use (5)
        return storage_failure(exc, settings)
    return 0


def _qr(args: argparse.Namespace, settings: object) -> int:
    """Write the QR posters' codes."""
    from bot.config import Settings
    from bot.qr import write_area_qr_codes

    assert isinstance(settings, Settings)
    username = args.bot_username or settings.telegram.bot_username
    if not username:
        print(
            "the bot's username is needed for the links: pass --bot-username or set"
            " telegram.bot_username in config.yaml",
            file=sys.stderr,
        )
        return 2
    try:
        paths = write_area_qr_codes(settings, args.out, username.lstrip("@"), args.lang)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} QR codes to {args.out}")
    return 0
