"""getUpdates long polling and the webhook methods."""

from __future__ import annotations

import time

from .errors import ApiError, bad_request
from .objects import JSON
from .params import Params
from .registry import api_method
from .state import BotState

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@api_method("getUpdates")
async def get_updates(bot: BotState, p: Params) -> list[JSON]:
    """getUpdates with real long polling; a newer poll ends an older one with 409."""
    if bot.webhook is not None:
        raise ApiError(409, CONFLICT_WEBHOOK)
    offset = p.opt_int("offset")
    limit = min(max(p.opt_int("limit", 100) or 100, 1), 100)
    timeout = max(p.opt_float("timeout", 0.0) or 0.0, 0.0)
    allowed = p.json_value("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(a) for a in allowed] or None
    if offset is not None:
        bot.confirm(offset)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.signal.fire()
    deadline = time.monotonic() + timeout
    while True:
        batch = bot.take(limit)
        if batch:
            return batch
        if generation != bot.poll_generation:
            raise ApiError(409, CONFLICT_OTHER_POLL)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or bot.stopping:
            return []
        await bot.signal.wait(remaining)


@api_method("setWebhook")
async def set_webhook(bot: BotState, p: Params) -> bool:
    """setWebhook (recorded; the fake never pushes to it)."""
    url = p.opt_str("url") or ""
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: HTTPS url must be provided for webhook")
    if p.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook = {"url": url, **{k: v for k, v in p.raw().items() if k != "url"}} if url else None
    return True


@api_method("deleteWebhook")
async def delete_webhook(bot: BotState, p: Params) -> bool:
    """deleteWebhook."""
    if p.flag("drop_pending_updates"):
        bot.updates.clear()
        bot.touch()
    bot.webhook = None
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(bot: BotState, p: Params) -> JSON:
    """getWebhookInfo."""
    return {
        "url": (bot.webhook or {}).get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": bot.pending_count(),
    }
