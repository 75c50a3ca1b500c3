"""``python -m bot web``: the dashboard alone against the bot's database.

Its actions are written with their outbox rows like the bot's own; the running bot's outbox
worker finds them on its next look (within ``outbox_idle``) and updates the Telegram cards.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Bot
from telegram.error import TelegramError

from bot.clock import Clock, utc_now
from bot.config import Settings, parse_listen
from bot.core.calendars import Calendars
from bot.desk.context import DeskServices
from bot.desk.surveys import SurveyJobs
from bot.desk.tickets import TicketDesk
from bot.redaction import hide_token_in_logs
from bot.store.open import open_storage
from bot.texts import default_catalog
from bot.tg.app import file_base_url
from bot.tg.request import AiohttpRequest
from bot.web.app import WebServer, build_web_app
from bot.web.photos import BotPhotos

log = logging.getLogger(__name__)


# The port of the last server started (tests start it on port 0).
last_port: int | None = None


async def serve(settings: Settings, stop: asyncio.Event, clock: Clock = utc_now) -> None:
    """Serve the dashboard until ``stop`` is set (``clock``: the bot's, in tests)."""
    global last_port
    listen = settings.web.listen
    assert listen is not None
    host, port = parse_listen(listen)
    store = await open_storage(settings)
    token = settings.telegram.token
    api = settings.telegram.api_base_url or "https://api.telegram.org/bot"
    bot = Bot(
        token,
        base_url=api,
        base_file_url=file_base_url(api),
        request=AiohttpRequest(connection_pool_size=8, token=token),
    )
    try:
        year = clock().astimezone(settings.tz).year
        services = DeskServices(
            settings=settings,
            store=store,
            catalog=default_catalog(),
            calendars=Calendars(settings, (year, year + 1)),
            clock=clock,
        )
        desk = TicketDesk(services)
        try:
            await bot.initialize()
            photos: BotPhotos | None = BotPhotos(bot)
        except TelegramError as exc:
            log.warning("dashboard: Telegram not reachable (%s); photos are not shown", exc)
            photos = None
        server = WebServer(
            build_web_app(desk, SurveyJobs(services, desk, None), token, photos), host, port
        )
        await server.start()
        last_port = server.port
        try:
            await stop.wait()
        finally:
            await server.stop()
    finally:
        await bot.shutdown()
        await store.close()


def web_main(settings: Settings) -> int:
    """The ``web`` command; returns the exit code."""
    if settings.web.listen is None:
        print("web.listen is not set: put host:port in config.yaml (web.listen) or WEB_LISTEN")
        return 2
    if not settings.telegram.token:
        print("telegram.token is empty: the dashboard checks Mini App sign-ins with it")
        return 2

    hide_token_in_logs(settings.telegram.token)  # photo downloads log through PTB

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    try:
        asyncio.run(run())
    except OSError as exc:  # the address is taken or not ours to bind
        print(f"cannot serve the dashboard on {settings.web.listen}: {exc.strerror or exc}")
        return 4
    return 0
