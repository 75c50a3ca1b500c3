"""How the bot talks HTTP to the Bot API: aiohttp, riding out brief Telegram outages.

python-telegram-bot's default transport is httpx. Measured side by side on this machine
(2,000 form POSTs to a local aiohttp server, 8 at a time), httpx costs 1.05 ms of CPU per call
and aiohttp 0.13 ms; a button press makes three calls, so the transport was most of the bot's
CPU per update. PTB lets any ``BaseRequest`` carry its calls; this is that class.

Telegram's front end answers 5xx while a backend restarts, and the next try usually goes
through. Without a retry, a person waiting for the bot's next question sees "something went
wrong" instead; the outbox has its own longer retries, this covers everything sent directly.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput  # the base class's own parameter type
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.nul import without_nul
from bot.redaction import redact
from bot.tg.governor import Governor, governed_call

log = logging.getLogger(__name__)

# Short: a person is looking at the chat. After the last one the error reaches the handler.
RETRY_PAUSES: tuple[float, ...] = (0.3, 1.0)


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session; a 5xx answer is tried again twice."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        retry_pauses: tuple[float, ...] = RETRY_PAUSES,
        governor: Governor | None = None,
        token: str = "",
    ) -> None:
        self._pool_size = connection_pool_size
        self._token = token  # only to blank it out of error texts
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._retry_pauses = retry_pauses
        self._governor = governor  # every send and edit waits its turn there (each try too)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """Seconds to wait for an answer when the call does not say."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (inside the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send, and send again after a short pause while Telegram answers 5xx."""
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        # aiohttp has no write timeout; the read timeout starts once the request is written.
        limits = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
        for pause in self._retry_pauses:
            code, payload = await self._paced(url, method, request_data, limits)
            if code < 500:
                return code, payload
            log.info("%s answered %s; trying again in %.1fs", url.rsplit("/", 1)[-1], code, pause)
            await asyncio.sleep(pause)
        return await self._paced(url, method, request_data, limits)

    async def _paced(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        limits: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        """One round trip; a send or edit first waits for the governor's go."""
        call = governed_call(url, request_data) if self._governor is not None else None
        if self._governor is None or call is None:
            return await self._once(url, method, request_data, limits)
        return await self._governor.send(
            call, lambda: self._once(url, method, request_data, limits)
        )

    async def _once(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        limits: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        """One HTTP round trip, with aiohttp's errors as PTB's."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        body = _body(request_data)
        try:
            # A redirect is not followed: the Bot API never sends one, so it means a wrong
            # api_base_url, and following it would hand the token (in the path) to another host.
            async with self._session.request(
                method, url, data=body, timeout=limits, allow_redirects=False
            ) as resp:
                if 300 <= resp.status < 400:
                    raise NetworkError(
                        f"the Bot API server answered HTTP {resp.status} (a redirect, not"
                        " followed): check telegram.api_base_url"
                    )
                return resp.status, without_nul(await resp.read())
        except TimeoutError:
            raise TimedOut from None
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            # aiohttp's and yarl's (ValueError) messages quote the URL, token and all; the cause
            # is dropped (``from None``) because a traceback would print it. The class name
            # says what failed even when the message is empty.
            text = redact(f"aiohttp.{exc.__class__.__name__}: {exc}", self._token)
            raise NetworkError(text) from None


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The call's parameters as a form: urlencoded, or multipart when files go with it."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, mime = part
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
