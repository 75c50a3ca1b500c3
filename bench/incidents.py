"""Incidents at scale, at the desk (no Telegram): how long an all-clear to N subscribers takes
to queue (one key row and one outbox row each, in one transaction), and how long an owner's
gate lookup takes with many incidents open.

    .venv/bin/python -m bench.incidents --subscribers 3000 [--storage postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import load_settings
from bot.core.actions import actor_for
from bot.core.calendars import Calendars
from bot.core.incidents import Incident, Place
from bot.desk.context import DeskServices
from bot.desk.incidents import IncidentDesk
from bot.desk.tickets import TicketDesk
from bot.store import Storage, Store
from bot.store.postgres import PostgresStore
from bot.texts import default_catalog

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
SUPERVISOR = 6021834457  # the shipped config's maintenance supervisor


async def run(subscribers: int, open_incidents: int, store: Storage, folder: Path) -> None:
    """Declare, subscribe, close; print the figures."""
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_PATH": str(folder / "unused.sqlite3")}
    settings = load_settings(ROOT / "config.yaml", env)
    services = DeskServices(
        settings=settings,
        store=store,
        catalog=default_catalog(),
        calendars=Calendars(settings, (2026, 2027)),
        clock=lambda: NOW,
    )
    desk = IncidentDesk(services, TicketDesk(services))
    base = Incident(
        estate="harbour_view",
        buildings=("3",),
        common_areas=True,
        category="water_power",
        subcategory=None,
        department="maintenance",
        texts={"zh-Hans": "停水"},
        started_at=NOW,
        eta=NOW + timedelta(hours=3),
        declared_by=SUPERVISOR,
    )
    incident = await store.declare_incident(base, [], NOW)
    for n in range(open_incidents - 1):  # other categories: they never clash with the first
        await store.declare_incident(
            Incident(**{**base.__dict__, "category": f"other{n}", "id": 0}), [], NOW
        )
    started = time.perf_counter()
    for n in range(subscribers):
        await store.subscribe(incident.id, 10_000_000 + n, NOW)
    subscribing = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(100):
        await desk.for_place(Place("harbour_view", "3"))
    gate_ms = (time.perf_counter() - started) * 10
    actor = actor_for(settings, SUPERVISOR)
    started = time.perf_counter()
    closed = await desk.close(actor, incident.id, incident.version, {"zh-Hans": "已恢复供水"})
    closing = time.perf_counter() - started
    assert isinstance(closed, Incident)
    counts = await store.outbox_counts()
    print(f"subscribers: {subscribers}; open incidents: {open_incidents}")
    each = subscribing / subscribers * 1000
    print(f"subscribe one by one: {subscribing:.2f} s ({each:.2f} ms each)")
    print(f"owner's gate lookup: {gate_ms:.2f} ms")
    print(f"close (all-clear queued to every subscriber, settled): {closing:.2f} s")
    print(f"outbox pending: {counts.get('pending', 0)}")


async def main() -> None:
    """Parse the arguments and run on a fresh database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--open-incidents", type=int, default=50)
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store: Storage
        if args.storage == "sqlite":
            store = await Store.open(folder / "bench.sqlite3")
            await run(args.subscribers, args.open_incidents, store, folder)
            await store.close()
            return
        from tests.pg import start_server

        server = start_server()
        try:
            store = await PostgresStore.open(server.create_database())
            await run(args.subscribers, args.open_incidents, store, folder)
            await store.close()
        finally:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
