"""Planning the open tickets' deadlines at start-up, while the bot already handles updates."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.config import load_settings
from bot.core.calendars import Calendars
from bot.core.models import TicketEvent
from bot.desk.deadlines import DeadlineJobs
from bot.store import Store
from bot.timer import Timer
from tests.harness import FakeClock
from tests.test_store_contract import NOW, OWNER, STAFF, accepted, opened, routed_to

ROOT = Path(__file__).resolve().parent.parent


class HeldTimelines:
    """A store whose one read of every open ticket's timeline waits until released."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reading = asyncio.Event()
        self.release = asyncio.Event()

    async def events_in_progress(self, first: int, last: int) -> dict[int, list[TicketEvent]]:
        self.reading.set()
        await self.release.wait()
        return await self.store.events_in_progress(first, last)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def jobs_of(timer: Timer, ticket_id: int) -> set[str]:
    """The timer's keys for one ticket."""
    keys: list[str] = timer.keys()
    return {key for key in keys if key.endswith(f":{ticket_id}")}


async def test_rebuild_keeps_what_live_work_planned_meanwhile(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_PATH": str(tmp_path / "desk.sqlite3")}
    settings = load_settings(ROOT / "config.yaml", env)
    store = await Store.open(tmp_path / "desk.sqlite3")
    try:
        taken = await opened(store, effects=routed_to(STAFF), department="maintenance")
        waiting = await opened(
            store, chat=OWNER + 1, effects=routed_to(STAFF), department="maintenance"
        )
        held = HeldTimelines(store)
        services = SimpleNamespace(
            store=held,
            settings=settings,
            calendars=Calendars(settings, (2026, 2027)),
            clock=FakeClock(NOW),
        )
        timer = Timer(services.clock)
        jobs = DeadlineJobs(timer, services, desk=None)  # type: ignore[arg-type]
        rebuild = asyncio.create_task(jobs.rebuild())
        await held.reading.wait()  # the rebuild holds both tickets as still waiting for Accept
        after, event = accepted(taken)
        assert await store.transition(taken, after, event, [])
        fresh = await store.get_ticket(taken.id)
        assert fresh is not None
        await jobs.schedule(fresh)  # what an update's handler does after the Accept
        held.release.set()
        assert await rebuild == 2  # only the ticket live work did not touch: its two jobs
        kinds = {key.split(":")[0] for key in jobs_of(timer, taken.id)}
        assert kinds and all(kind.startswith(("resolve", "manager")) for kind in kinds)
        assert jobs_of(timer, waiting.id) == {
            f"accept_nudge:{waiting.id}",
            f"accept_due:{waiting.id}",
        }
        # Later plans of the same ticket replace its jobs as before the rebuild.
        await jobs.schedule(fresh)
        assert jobs_of(timer, taken.id) == {f"{kind}:{taken.id}" for kind in kinds}
    finally:
        await store.close()
