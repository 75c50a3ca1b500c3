"""What ``GET /healthz`` reports about one running bot, as a dict (any listener can serve it).

Role (``poller``, ``worker`` among replicas, ``single`` on SQLite), whether the database
answers, the outbox backlog, and how long the oldest stored update has waited (replicas).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.store.interfaces import Storage
from bot.store.replica_interfaces import UpdateInbox
from bot.tg.replicas import Replica

# A health check must answer even when the database does not.
TIMEOUT = 3.0


async def health(store: Storage, clock: Clock, replica: Replica | None = None) -> dict[str, Any]:
    """The bot's health: ``ok`` is False when the database does not answer in time."""
    report: dict[str, Any] = {
        "role": "single" if replica is None else replica.role,
        "replica": None if replica is None else replica.id,
        "replicas": 1 if replica is None else replica.replicas,
        "database": "ok",
        "outbox_pending": None,
        "oldest_unhandled_update_seconds": None,
    }
    try:
        counts = await asyncio.wait_for(store.outbox_counts(), TIMEOUT)
        report["outbox_pending"] = counts.get("pending", 0)
        if isinstance(store, UpdateInbox):
            oldest: datetime | None = await asyncio.wait_for(store.inbox_oldest_pending(), TIMEOUT)
            if oldest is not None:
                waited = (clock() - oldest).total_seconds()
                report["oldest_unhandled_update_seconds"] = round(max(waited, 0.0), 1)
    except Exception as exc:  # noqa: BLE001 — whatever the driver raises, the answer is "down"
        report["database"] = f"unreachable: {type(exc).__name__}"
    report["ok"] = report["database"] == "ok"
    return report
