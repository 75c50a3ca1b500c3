"""Bot API calls that ride out a brief Telegram outage.

Telegram's front end answers 5xx while a backend restarts, and the next try usually goes
through. Without a retry, a person waiting for the bot's next question sees "something went
wrong" instead; the outbox has its own longer retries, this covers everything sent directly.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram._utils.types import ODVInput  # the base class's own parameter type
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)

# Short: a person is looking at the chat. After the last one the error reaches the handler.
RETRY_PAUSES: tuple[float, ...] = (0.3, 1.0)


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that repeats a call Telegram answered with a 5xx (getUpdates excepted)."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send, and send again after a short pause while Telegram answers 5xx."""
        once = partial(super().do_request, url, method, request_data, read_timeout=read_timeout,
                       write_timeout=write_timeout, connect_timeout=connect_timeout,
                       pool_timeout=pool_timeout)
        # The poller has its own back-off, and a long poll must not be doubled.
        for pause in () if url.endswith("/getUpdates") else RETRY_PAUSES:
            code, payload = await once()
            if code < 500:
                return code, payload
            log.info("%s answered %s; trying again in %.1fs", url.rsplit("/", 1)[-1], code,
                     pause)
            await asyncio.sleep(pause)
        return await once()
