"""Starting and stopping a bot: store, Application, long polling and the outbox worker."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.clock import Clock, DatabaseClock, utc_now
from bot.config import Settings, parse_listen
from bot.config.webhook import Webhook
from bot.core.calendars import Calendars
from bot.core.flow import Flow
from bot.desk.deadlines import DeadlineJobs
from bot.desk.sweep import Sweep
from bot.redaction import redact
from bot.store import Storage
from bot.store.open import open_storage
from bot.store.replica_interfaces import UpdateInbox
from bot.texts import default_catalog
from bot.tg.announcements import NoticeLoop
from bot.tg.app import build_application, register_commands
from bot.tg.governor import Governor
from bot.tg.health import health
from bot.tg.outbox import OutboxWorker
from bot.tg.polling import Poller
from bot.tg.replicas import Replica, config_hash, replica_id
from bot.tg.reports import schedule_reports
from bot.tg.services import Services
from bot.tg.webhook import WebhookListener
from bot.timer import Timer
from bot.web.app import WebServer, build_web_app
from bot.web.photos import BotPhotos

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


@dataclass
class RuntimeOptions:
    """Knobs tests turn: the clock, the long-poll timeout, the outbox's and timer's naps."""

    clock: Clock = utc_now
    poll_timeout: float = 10.0
    outbox_idle: float = 1.0
    # The longest the timer sleeps without asking the clock again (a test clock may jump).
    timer_nap: float = 1.0


class CannotStart(Exception):
    """The bot cannot start (lock held, Telegram unreachable, token refused); says why."""


class AlreadyRunning(CannotStart):
    """Another bot process holds the database."""


def _already_running(where: str, holder: str) -> AlreadyRunning:
    return AlreadyRunning(
        f"another EstateDesk bot is already running on {where} ({holder}); stop it"
        " first — two bots on one token fight over Telegram's updates"
    )


def hold_lock(db_path: str) -> IO[str]:
    """Take the database's lock file, so a second bot on the same database refuses to start."""
    path = Path(f"{db_path}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise _already_running(db_path, f"it holds {path}") from None
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class BotRuntime:
    """One running bot. ``await start()``, then ``await stop()``."""

    def __init__(
        self, settings: Settings, flows: dict[str, Flow], options: RuntimeOptions | None = None
    ) -> None:
        self.settings = settings
        self.flows = flows
        self.options = options or RuntimeOptions()
        self.store: Storage | None = None
        self.app: Application | None = None  # type: ignore[type-arg]
        self.outbox: OutboxWorker | None = None
        self.notices: NoticeLoop | None = None  # notices: due ones sent, counts shown
        self.services: Services | None = None
        self.jobs: DeadlineJobs | None = None
        self.poller: Poller | None = None
        self.timer: Timer | None = None
        self.governor: Governor | None = None  # the pace of every send and edit
        self.web: WebServer | None = None  # the dashboard, when web.listen is set
        self.replica: Replica | None = None  # on PostgreSQL: this process among replicas
        self.webhook: WebhookListener | None = None  # webhook mode: Telegram's POSTs
        self._lock: IO[str] | None = None
        self._rebuild: asyncio.Task[int] | None = None  # planning the open tickets' deadlines

    async def start(self) -> None:
        """Open the database, connect to Telegram, and begin polling and delivering."""
        storage = self.settings.storage
        clock = self.options.clock
        name: str | None = None
        webhook = self.settings.telegram.webhook
        if webhook is not None and storage.backend == "sqlite":
            raise CannotStart(
                "telegram.webhook needs PostgreSQL (storage.url or DATABASE_URL): updates are"
                " stored in its inbox before Telegram is answered; use long polling on SQLite"
            )
        if storage.backend == "sqlite":
            self._lock = hold_lock(storage.path)
        else:
            # PostgreSQL: any number of replicas share the work (docs/architecture.md,
            # "Replicas"); the real clock is set by the database's, so they agree on time.
            name = replica_id()
            if clock is utc_now:
                clock = DatabaseClock()
        try:
            self.store = await open_storage(self.settings, name)
            if name is not None:
                from bot.store.postgres.replicas import ReplicaLink

                link = ReplicaLink(
                    storage.url, name, socket.gethostname(), config_hash(self.settings)
                )
                self.replica = Replica(
                    link,
                    self.store,
                    clock if isinstance(clock, DatabaseClock) else None,
                    self.options.poll_timeout,
                    ALLOWED_UPDATES,
                )
                await self.replica.join()
        except BaseException:
            await self._release()
            raise
        year = clock().astimezone(self.settings.tz).year
        calendars = Calendars(self.settings, (year, year + 1))
        for warning in calendars.warnings:
            log.warning("business calendar: %s", warning)
        services = Services(
            settings=self.settings,
            store=self.store,
            catalog=default_catalog(),
            flows=self.flows,
            calendars=calendars,
            clock=clock,
            handled_before=await self.store.last_handled_update(),
        )
        self.services = services
        timer = Timer(clock, nap=self.options.timer_nap)
        wiring = build_application(
            services,
            self.settings.telegram.token,
            self.settings.telegram.api_base_url,
            timer,
            outbox_idle=self.options.outbox_idle,
            replica=name,
        )
        app = wiring.app
        self.governor = wiring.governor
        try:
            await app.initialize()  # asks Telegram who we are: the token and the network
        except BaseException as exc:
            try:
                # The HTTP sessions opened before getMe failed; app.shutdown() would skip them
                # (the app never counted as initialised), the bot's own shutdown closes them.
                await app.bot.shutdown()
            finally:
                await self._release()
            if isinstance(exc, InvalidToken):
                # PTB's message quotes the token: it is passed on neither as text nor as cause.
                raise CannotStart("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN)") from None
            if isinstance(exc, NetworkError):
                where = self.settings.telegram.api_base_url or "api.telegram.org"
                said = f"cannot reach Telegram's Bot API at {where}: {exc}"
                raise CannotStart(redact(said, self.settings.telegram.token)) from None
            raise
        self.app = app
        self.outbox = wiring.outbox
        await register_commands(app, services)
        await app.start()
        self.jobs = wiring.deadlines
        await wiring.surveys.rebuild()
        await schedule_reports(timer, app.bot, services)
        self.timer = timer
        timer.start()
        self.outbox.start()
        self.notices = wiring.notices
        self.notices.start()
        # An all-clear a crash interrupted: its subscribers and linked tickets are seen to
        # (each told once; docs/architecture.md, "Incidents").
        finished = await wiring.incidents.resume()
        if finished:
            log.info("incidents: finished the all-clear of %d incident(s)", finished)
        if self.replica is not None:
            replica = self.replica
            self.replica.start(
                app,
                clock,
                self.governor,
                Sweep(self.store, self.jobs, wiring.surveys).run,
                poll=webhook is None,
            )
            if webhook is None:
                await app.bot.delete_webhook()  # long polling and a webhook exclude each other
            else:
                await self._listen(webhook, app.bot, clock, replica)
        else:
            await app.bot.delete_webhook()
            self.poller = Poller(app, self.options.poll_timeout, ALLOWED_UPDATES)
            self.poller.start()
        listen = self.settings.web.listen
        if listen is not None:
            # The dashboard in this event loop, acting through this bot's desk: its changes
            # re-plan deadlines and ring the outbox at once.
            host, port = parse_listen(listen)
            store, member = self.store, self.replica
            web_app = build_web_app(
                wiring.desk,
                wiring.surveys,
                self.settings.telegram.token,
                BotPhotos(app.bot),
                lambda: health(store, clock, member),
                incidents=wiring.incidents,
            )
            web_server = WebServer(web_app, host, port)
            try:
                await web_server.start()
            except OSError as exc:
                await web_server.stop()
                await self.stop()
                reason = exc.strerror or str(exc)
                raise CannotStart(f"cannot serve the dashboard on {listen}: {reason}") from None
            self.web = web_server
        # The open tickets' deadlines are planned while the bot already answers: on a large
        # desk that takes seconds, and nothing is lost by it (docs/architecture.md, "Time").
        self._rebuild = asyncio.create_task(self.jobs.rebuild(), name="deadline rebuild")
        self._rebuild.add_done_callback(_report_rebuild)
        log.info(
            "bot @%s started; database %s%s",
            app.bot.username,
            self.settings.storage.shown,
            f"; replica {name}" if name else "",
        )

    async def _listen(self, webhook: Webhook, bot: Bot, clock: Clock, replica: Replica) -> None:
        """Webhook mode: tell Telegram where to push, and take its POSTs."""
        store = self.store
        assert store is not None and isinstance(store, UpdateInbox) and replica.worker
        secret = self.settings.telegram.webhook_secret
        self.webhook = WebhookListener(
            webhook,
            secret,
            bot,
            store,
            clock,
            replica.worker.wake,
            lambda: health(store, clock, replica),
        )
        await self.webhook.start()
        await bot.set_webhook(
            url=webhook.url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )

    async def _release(self) -> None:
        """Leave the replica set, close the database and give up the lock."""
        if self.replica is not None:
            await self.replica.close()
            self.replica = None
        if self.store is not None:
            await self.store.close()
            self.store = None
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    async def stop(self) -> None:
        """Stop polling, finish the update in hand, flush the outbox, close the database."""
        app = self.app
        try:
            if self.web is not None:
                await self.web.stop()
                self.web = None
            if self.poller is not None:
                await self.poller.stop()
                self.poller = None
            if self.webhook is not None:
                await self.webhook.stop()
                self.webhook = None
            if self.replica is not None:
                await self.replica.stop()
            if self._rebuild is not None:
                self._rebuild.cancel()
                await asyncio.gather(self._rebuild, return_exceptions=True)
                self._rebuild = None
            if app is not None and app.running:
                await app.stop()
            if self.timer is not None:
                await self.timer.stop()
                self.timer = None
            if self.notices is not None:
                await self.notices.stop()
                self.notices = None
            if self.outbox is not None:
                await self.outbox.stop()
            if app is not None:
                await app.shutdown()
        finally:
            # Whatever failed above, the database is closed: its thread would keep the process
            # alive, and the lock would keep the next start out.
            await self._release()
            self.app = self.store = self.outbox = None
        log.info("bot stopped")


def _report_rebuild(task: asyncio.Task[int]) -> None:
    """Say so when planning the deadlines failed: the tickets would wait unwatched."""
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "scheduler: planning the open tickets' deadlines failed; restart the bot",
            exc_info=task.exception(),
        )


async def run_until_signalled(runtime: BotRuntime) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
