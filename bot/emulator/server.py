"""FakeBotApi: an aiohttp server speaking the Telegram Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from http import HTTPStatus
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.clock import Clock, utc_now

from . import api_messages, api_settings, api_updates  # noqa: F401  (register methods)
from .api_settings import scope_key
from .errors import ApiError, not_found, too_many_requests
from .faults import EDITING_METHODS, SENDING_METHODS, Faults, FloodControl, Stats
from .objects import JSON, group_chat, private_chat, user_dict
from .params import Params, parse_request
from .registry import lookup
from .render import render_state
from .schema import Rejection, schema
from .state import ApiCall, BotState, CallbackAnswer, SentRecord, StoredMessage
from .user import FakeGroup, FakeUser

MAX_BODY = 64 * 1024 * 1024


class FakeBotApi:
    """A fake Telegram Bot API server the real PTB stack talks to over HTTP."""

    def __init__(
        self, *, token: str | None = None, check_calls: bool = True, clock: Clock = utc_now
    ) -> None:
        self.clock = clock
        self.faults = Faults()
        self.stats = Stats()
        self.flood = FloodControl()
        self.calls: deque[ApiCall] = deque(maxlen=20_000)
        self.unknown_calls: list[ApiCall] = []
        # Calls real Telegram would refuse (schema and limits); conftest fails the test on any.
        self.check_calls = check_calls
        self.rejected_calls: list[Rejection] = []
        self._default = BotState(token or "", self.stats, clock)
        self._bots: dict[str, BotState] = {token: self._default} if token else {}
        self._users: dict[tuple[int, int], FakeUser] = {}
        self._groups: dict[tuple[int, int], FakeGroup] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closed = asyncio.Event()

    # --- lifecycle ----------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeBotApi:
        """Listen on 127.0.0.1 (``port`` 0: a free one; pass the old port to restart)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        self._closed = asyncio.Event()
        for bot in self._all_bots():
            bot.stopping = False
        return self

    async def stop(self) -> None:
        """Stop listening; pending long polls return empty and slow answers are dropped."""
        self._closed.set()
        for bot in self._all_bots():
            bot.stopping = True
            bot.signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def url(self) -> str:
        """The ``base_url`` to give PTB: ``http://127.0.0.1:{port}/bot``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        """The ``base_file_url`` to give PTB for downloads."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- per-token state ----------------------------------------------------------

    def _all_bots(self) -> list[BotState]:
        return [self._default, *(b for b in self._bots.values() if b is not self._default)]

    def bot(self, token: str | None = None) -> BotState:
        """Return the state for ``token`` (default: the first token that called in)."""
        if token is None:
            return self._default
        state = self._bots.get(token)
        if state is None:
            if not self._bots:
                state = self._default
                state.token = token
            else:
                state = BotState(token, self.stats, self.clock)
            self._bots[token] = state
        return state

    # --- people -------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Li",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        token: str | None = None,
    ) -> FakeUser:
        """Return the person ``user_id`` (created on first use) with a private chat."""
        bot = self.bot(token)
        key = (id(bot), user_id)  # stable even once the default bot learns its token
        if key not in self._users:
            user = user_dict(user_id, first_name, last_name, username, language_code)
            chat = bot.add_chat(private_chat(user), user)
            self._users[key] = FakeUser(bot, user, chat)
        return self._users[key]

    def group(
        self,
        chat_id: int,
        title: str = "Test group",
        username: str | None = None,
        *,
        token: str | None = None,
    ) -> FakeGroup:
        """Return the group ``chat_id`` (negative) the bot is a member of."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        bot = self.bot(token)
        key = (id(bot), chat_id)
        if key not in self._groups:
            self._groups[key] = FakeGroup(bot, bot.add_chat(group_chat(chat_id, title, username)))
        return self._groups[key]

    # --- what the bot did ---------------------------------------------------------

    @property
    def sent(self) -> list[SentRecord]:
        """Every successful send/edit/delete of the default bot, in order."""
        return self._default.sent

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """Every answerCallbackQuery of the default bot."""
        return self._default.callback_answers

    def chat_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        """All messages of a chat (both sides) with CURRENT content; ``.edits`` has history."""
        chat = self._default.chat(chat_id)
        return [m for m in chat.messages.values() if include_deleted or not m.deleted]

    def commands(self, language_code: str = "", scope: JSON | None = None) -> list[JSON]:
        """The commands set with setMyCommands for this language and scope."""
        return list(self._default.commands.get((scope_key(scope), language_code), []))

    @property
    def webhook(self) -> JSON | None:
        """The webhook set with setWebhook, if any."""
        return self._default.webhook

    def register_file(self, file_id: str, kind: str = "photo") -> None:
        """Make a file id the bot knows from elsewhere valid for sending."""
        self._default.files.register(file_id, kind)

    def pending_updates(self) -> int:
        """Updates enqueued but not yet confirmed through getUpdates' offset."""
        return self._default.pending_count()

    async def wait_until_consumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has confirmed every enqueued update."""
        bot = self._default
        await bot.wait_for(
            lambda: True if bot.pending_count() == 0 else None,
            timeout,
            "the bot to confirm all updates",
        )

    def refused(self) -> list[str]:
        """Calls real Telegram would refuse, and methods the fake lacks: one line each."""
        lines = [f"{r.method}: {r.parameter or '-'}: {r.reason}" for r in self.rejected_calls]
        known = schema().methods
        lines += [
            f"{c.method}: a Bot API method the fake does not implement"
            for c in self.unknown_calls
            if c.method.lower() in known  # unknown to the Bot API too: already rejected
        ]
        return lines

    def take_refused(self) -> list[str]:
        """Return and forget the refused calls (for tests that make them on purpose)."""
        lines = self.refused()
        self.rejected_calls.clear()
        self.unknown_calls.clear()
        return lines

    def dump(self, chat_id: int | None = None) -> str:
        """A readable dump of a chat plus recent API errors."""
        return render_state(self._default, chat_id)

    # --- HTTP ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        asked = time.monotonic()
        token = request.match_info["token"]
        bot = self.bot(token)
        entry = lookup(request.match_info["method"])
        method = entry[0] if entry else request.match_info["method"]
        self.stats.calls[method] += 1
        if method != "getUpdates":
            bot.touch()
        params = Params({})
        slow = False
        refused: Rejection | None = None
        try:
            params = await parse_request(request)
            if entry is None:
                self.stats.unknown += 1
            # Telegram checks a request before anything else can happen to it.
            refused = schema().check(method, params) if self.check_calls else None
            if refused is not None:
                raise refused.error()
            if entry is None:
                raise not_found(method)
            slow = self._inject_faults(method, params)
            result: Any = await entry[1](bot, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as err:
            status, body = err.code, err.payload()
            self.stats.errors[err.code] += 1
        call = ApiCall(
            token,
            method,
            params.raw(),
            status,
            None if status == 200 else str(body.get("description")),
            time.monotonic(),
            asked,
        )
        self.calls.append(call)
        bot.record_call(call)
        if refused is not None:
            self.rejected_calls.append(refused)
        if entry is None:
            self.unknown_calls.append(call)
        if slow:
            self.stats.slow += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.faults.slow_seconds)
        return web.json_response(body, status=status)

    def _inject_faults(self, method: str, params: Params) -> bool:
        """Raise injected errors for this call; return whether to delay the answer."""
        faults = self.faults
        if faults.applies_to(method):
            if faults.take_5xx():
                self.stats.injected_5xx += 1
                code = faults.error_code_5xx
                raise ApiError(code, HTTPStatus(code).phrase)
            if faults.take_forced_429(method):
                self.stats.forced_429 += 1
                raise too_many_requests(faults.force_429_retry_after)
        limits = faults.rate_limits
        counted = method.lower() in SENDING_METHODS or (
            limits.group_edits and method.lower() in EDITING_METHODS
        )
        if counted and limits.enabled:
            chat_id = _int_or_none(params.values.get("chat_id"))
            if chat_id is not None and chat_id > 0 and method.lower() not in SENDING_METHODS:
                chat_id = None  # an edit in a private chat is not counted
            retry_after = None if chat_id is None else self.flood.check(faults.rate_limits, chat_id)
            if retry_after is not None:
                self.stats.flood_429 += 1
                raise too_many_requests(retry_after)
        return faults.applies_to(method) and faults.take_slow()

    async def _download(self, request: web.Request) -> web.Response:
        bot = self.bot(request.match_info["token"])
        stored = bot.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data, content_type="application/octet-stream")


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
