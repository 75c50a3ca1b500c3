"""The bot token never leaves the process: not in errors, logs, stderr or the database."""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import sys
import traceback
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, NetworkError

from bot.config import Settings, load_settings
from bot.core.calendars import Calendars
from bot.core.models import Outgoing
from bot.loading import load_all
from bot.store import Store
from bot.texts import default_catalog
from bot.tg.outbox import OutboxWorker
from bot.tg.runtime import BotRuntime, CannotStart
from bot.tg.services import Services

ROOT = Path(__file__).resolve().parent.parent
# Shaped like a real token, and a short one only this file knows: both must stay hidden.
TOKENS = ("7012345678:AAHf0rTh3-Te5t_0nlyN0tAR3alT0k3nAtAll", "4242:tiny")
MISTYPED = ("localhost:8081/bot", "http:///bot", "htps://api.telegram.org/bot")
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@asynccontextmanager
async def redirect_loop(refuse_token: bool = False) -> AsyncIterator[str]:
    """A server that answers every request with a redirect to itself (or, refusing the token,
    401 as Telegram does); yields its base URL."""

    async def again(request: web.Request) -> web.Response:
        if refuse_token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        return web.Response(status=302, headers={"Location": str(request.url)})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", again)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        await runner.cleanup()


def _settings(tmp_path: Path, token: str, base_url: str) -> Settings:
    """The shipped config with this token, a test database and (unchecked) this base URL."""
    env = {"TELEGRAM_BOT_TOKEN": token, "DATABASE_PATH": str(tmp_path / "desk.sqlite3")}
    settings = load_settings(ROOT / "config.yaml", env=env)
    # A mistyped URL no longer passes check-config: the transport must hide the token anyway.
    telegram = settings.telegram.model_copy(update={"api_base_url": base_url})
    return settings.model_copy(update={"telegram": telegram})


def _everything_said(exc: BaseException) -> str:
    """The exception as any log line or traceback would show it, causes included."""
    return "".join(traceback.format_exception(exc))


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("base_url", [*MISTYPED, "redirect-loop", "token-refused"])
async def test_a_failed_start_never_shows_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, base_url: str, token: str
) -> None:
    from bot.redaction import hide_token_in_logs

    # PTB logs its URLs (token included) at DEBUG: the filter the command line installs hides
    # them. The exception itself must be clean without any filter.
    caplog.set_level(logging.DEBUG)
    hide_token_in_logs(token, caplog.handler)
    _, flows = load_all(ROOT / "config.yaml")
    async with redirect_loop(refuse_token=base_url == "token-refused") as server:
        url = server if base_url in ("redirect-loop", "token-refused") else base_url
        runtime = BotRuntime(_settings(tmp_path, token, url), flows)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(CannotStart) as info:
                await runtime.start()
            gc.collect()  # an unclosed aiohttp session complains when it is collected
    for said in (_everything_said(info.value), caplog.text):
        assert token not in said and token.split(":")[1] not in said, said
    if base_url == "token-refused":
        assert "rejected the bot token" in str(info.value)
    else:
        assert "cannot reach" in str(info.value)
    if base_url == "redirect-loop":
        assert "redirect" in str(info.value)
    unclosed = [str(w.message) for w in caught if "Unclosed" in str(w.message)]
    assert unclosed == [] and "Unclosed client session" not in caplog.text
    assert runtime.store is None  # the database is closed and the lock released


async def test_outbox_last_error_never_holds_the_token(tmp_path: Path) -> None:
    """Whatever an error says, the outbox row and the ticket's timeline get it without a token."""
    token = TOKENS[1]
    settings = _settings(tmp_path, token, "http://127.0.0.1:9/bot")
    store = await Store.open(tmp_path / "desk.sqlite3")
    try:
        services = Services(
            settings=settings,
            store=store,
            catalog=default_catalog(),
            flows={},
            calendars=Calendars(settings, (2026, 2027)),
            clock=lambda: NOW,
        )

        class LeakyBot:
            """A transport that puts the URL (token and all) into its errors."""

            def __init__(self) -> None:
                self.token = token

            async def send_message(self, chat_id: int, *args: Any, **kwargs: Any) -> Any:
                url = f"http://127.0.0.1:9/bot{token}/sendMessage"
                if chat_id == 1:
                    raise NetworkError(f"aiohttp.ClientConnectorError: {url}")
                raise BadRequest(f"Bad Request: chat not found ({url})")

        async def no_cards(bot: Bot, item: object) -> None:
            return None

        await store.enqueue([Outgoing(1, "hello"), Outgoing(2, "hello", ticket_id=None)], NOW)
        worker = OutboxWorker(cast(Bot, LeakyBot()), services, no_cards)
        await worker.flush(3.0)  # sends what is due and waits for the outcome
        rows = await store.query("SELECT chat_id, status, last_error FROM outbox ORDER BY id")
        assert [(r["chat_id"], r["status"]) for r in rows] == [(1, "pending"), (2, "failed")]
        for row in rows:
            assert row["last_error"] and token not in row["last_error"], row["last_error"]
            assert "sendmessage" in row["last_error"].lower()  # what failed is still said
    finally:
        await store.close()


def test_log_lines_never_show_the_token() -> None:
    """The belt: a log filter blanks the token in messages, arguments and tracebacks."""
    from bot.redaction import hide_token_in_logs

    token = TOKENS[1]
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        hide_token_in_logs(token, handler)
        logger.warning("calling https://api.telegram.org/bot%s/getMe", token)
        logger.warning(f"literal {token}")
        try:
            raise RuntimeError(f"failed: /bot{token}/sendMessage")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert token not in text and "getMe" in text and "sendMessage" in text
    assert text.count("<token>") == 3, text


# --- the command line, as a process ---------------------------------------------------------


def _env(token: str, base_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": base_url,
        "DATABASE_PATH": str(tmp_path / "desk.sqlite3"),
        "PTB_TIMEDELTA": "true",
    }


async def _bot(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``python -m bot ARGS``; its exit code and everything it wrote."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        "--config",
        str(ROOT / "config.yaml"),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode("utf-8", "replace")


async def test_run_against_a_redirect_loop_exits_4_without_the_token(tmp_path: Path) -> None:
    token = TOKENS[0]
    async with redirect_loop() as url:
        code, said = await _bot("run", env=_env(token, url, tmp_path))
    assert code == 4, said[-2000:]
    assert "cannot start: cannot reach Telegram's Bot API" in said and "redirect" in said
    assert token not in said and token.split(":")[1] not in said
    assert "Unclosed client session" not in said and "Traceback" not in said


@pytest.mark.parametrize("base_url", MISTYPED)
async def test_a_mistyped_api_base_url_is_refused_before_anything_is_sent(
    tmp_path: Path, base_url: str
) -> None:
    token = TOKENS[0]
    for command in ("check-config", "run"):
        code, said = await _bot(command, env=_env(token, base_url, tmp_path))
        assert code == 2, said[-2000:]
        assert f"telegram.api_base_url: {base_url!r} is not" in said, said[-2000:]
        assert token not in said and "Traceback" not in said
