"""Webhook mode: Telegram POSTs each update to every replica's listener (behind a proxy).

A POST is answered 200 only once the update is committed to the inbox (``bot.tg.inbox``
handles it, on whichever replica claims it); anything else makes Telegram deliver it again,
and a repeat is stored once. A request without the secret Telegram was given at setWebhook
(``X-Telegram-Bot-Api-Secret-Token``) is refused with 403 and counted; a body over
``telegram.webhook.max_body`` gets 413 before it is read. ``GET /healthz`` answers with
``bot.tg.health``'s report.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Bot, Update

from bot.clock import Clock
from bot.config.webhook import Webhook
from bot.store.replica_interfaces import UpdateInbox
from bot.tg.inbox import stored

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookListener:
    """The aiohttp server taking Telegram's POSTs (and /healthz) on ``webhook.listen``."""

    def __init__(
        self,
        config: Webhook,
        secret: str,
        bot: Bot,
        inbox: UpdateInbox,
        clock: Clock,
        stored_hook: Callable[[], None],
        health: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        self.config = config
        self._secret = secret.encode()
        self.bot = bot
        self.inbox = inbox
        self.clock = clock
        self.stored_hook = stored_hook
        self.health = health
        self.refused = 0  # wrong or missing secret
        self.too_large = 0
        self.accepted = 0
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The port actually listened on (``listen`` may say 0 in tests)."""
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        """Listen."""
        app = web.Application(client_max_size=self.config.max_body)
        app.router.add_post(self.config.path, self._update)
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, self.config.host, self.config.port).start()
        self._runner = runner
        log.info("webhook: listening on %s:%d%s", self.config.host, self.port, self.config.path)

    async def stop(self) -> None:
        """Stop listening (Telegram delivers what it could not hand over again, elsewhere)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.refused += 1
            log.warning(
                "webhook: refused a POST from %s without the right secret (%d so far)",
                request.remote,
                self.refused,
            )
            return web.Response(status=403, text="forbidden")
        if (request.content_length or 0) > self.config.max_body:
            self.too_large += 1
            return web.Response(status=413, text="too large")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.bot) if isinstance(data, dict) else None
        except web.HTTPRequestEntityTooLarge:
            self.too_large += 1
            return web.Response(status=413, text="too large")
        except (ValueError, TypeError, KeyError):  # not JSON, or no update: not from Telegram
            update = None
        if update is None or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await self.inbox.inbox_add([stored(update)], self.clock())
        except Exception as exc:  # noqa: BLE001 — not stored: Telegram must deliver it again
            log.warning("webhook: storing update %s failed (%s)", update.update_id, exc)
            return web.Response(status=503, text="try again")
        self.accepted += 1
        self.stored_hook()
        return web.Response(text="ok")

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.health()
        return web.json_response(report, status=200 if report.get("ok") else 503)
