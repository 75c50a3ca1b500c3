"""Staff fan-out: many queued messages to distinct chats, with the fake enforcing flood limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bench.people import Inbox, wait_until
from bench.pg import Db, open_store
from bench.procs import Child, cpu_seconds
from bot.config.telegram import Telegram
from bot.core.models import Outgoing
from bot.emulator.state import StoredMessage
from tests.fakebot import FakeBotApi, RateLimits

CHAT_BASE = 800_000_000


# The outbox's overall pace by default (telegram.messages_per_second).
DEFAULT_RATE = Telegram().messages_per_second


async def fan_out(
    fake: FakeBotApi,
    inbox: Inbox,
    child: Child,
    db: Db,
    count: int,
    scale: float,
    worker_rate: float,
    timeout: float,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Queue ``count`` messages through ``Store.enqueue``; measure how fast they go out."""
    chats = [CHAT_BASE + i for i in range(count)]
    wanted = set(chats)
    for chat in chats:
        inbox.user(chat, first_name=f"Staff{chat % 10_000}", language_code="zh-hans")
    arrived: dict[int, float] = {}

    def seen(message: StoredMessage) -> None:
        if message.chat_id in wanted:
            arrived.setdefault(message.chat_id, message.created)

    inbox.watch_all = seen
    limits = RateLimits(enabled=True, scale=scale)
    fake.faults.rate_limits = limits
    fake.flood.reset()
    base_429 = fake.stats.flood_429
    cpu0 = cpu_seconds(child.pid)
    store = await open_store(db)
    try:
        await store.enqueue(
            [
                Outgoing(chat, f"📣 Notice {i}: water off in Block 3 tomorrow 09:00–12:00")
                for i, chat in enumerate(chats)
            ],
            datetime.now(UTC),
        )
    finally:
        await store.close()
    queued = time.monotonic()
    done = await wait_until(lambda: len(arrived) >= count, timeout, every=0.05)
    cpu1 = cpu_seconds(child.pid)
    inbox.watch_all = None
    fake.faults.rate_limits = RateLimits()
    times = sorted(arrived.values())
    allowed = (limits.global_.rate if limits.global_ else 30.0) * scale
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / span if span > 0 else 0.0
    return {
        "messages": count,
        "delivered": len(times),
        "complete": done,
        "fake_global_limit_per_s": allowed,
        "fake_scale": scale,
        "worker_pacing_per_s": round(worker_rate, 2),
        "achieved_per_s": round(achieved, 2),
        "achieved_over_allowed": round(achieved / allowed, 3) if allowed else 0.0,
        "first_delivery_s": round(times[0] - queued, 3) if times else None,
        "all_delivered_s": round(times[-1] - queued, 3) if times else None,
        "http_429": fake.stats.flood_429 - base_429,
        "cpu_ms_per_message": round(1000 * (cpu1 - cpu0) / max(len(times), 1), 3),
    }
