"""The incident proposal's cost per report on a big desk (no Telegram): every new report asks
for its cluster's recent reports and the cluster's last decision, and at ``suggest_after``
proposes. Timed on a generated database (``bench.gen_db``), SQLite.

    .venv/bin/python -m bench.proposals --tickets 200000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.gen_db import generate
from bot.config import load_settings
from bot.core.calendars import Calendars
from bot.core.models import Ticket, TicketDraft
from bot.desk.context import DeskServices
from bot.desk.incidents import IncidentDesk
from bot.desk.proposals import IncidentProposals
from bot.desk.tickets import TicketDesk
from bot.store import Store
from bot.texts import default_catalog

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
BUILDINGS = ("1", "2", "3", "4", "5", "6")


def _draft(owner: int, building: str, at: datetime) -> TicketDraft:
    return TicketDraft(
        owner_id=owner,
        kind="repair",
        category="water_power",
        subcategory="no_water",
        department="maintenance",
        estate="harbour_view",
        building=building,
        unit="0801",
        area=None,
        location_detail=None,
        urgency="emergency",
        description="家里停水了",
        photos=(),
        language="zh-Hans",
        created_at=at,
        accept_due=at + timedelta(minutes=30),
        resolve_due=at + timedelta(hours=4),
    )


async def run(tickets: int, folder: Path) -> None:
    """Generate, then file 6 reports in each of 6 buildings and time ``consider``."""
    path = folder / "desk.sqlite3"
    settings = load_settings(ROOT / "config.yaml", {"TELEGRAM_BOT_TOKEN": "1:x"})
    info = await generate(path, tickets, settings, now=NOW - timedelta(hours=1))
    print(f"generated {tickets} tickets in {info.seconds} s")
    store = await Store.open(path)
    clock = [NOW]
    try:
        services = DeskServices(
            settings=settings,
            store=store,
            catalog=default_catalog(),
            calendars=Calendars(settings, (2026, 2027)),
            clock=lambda: clock[0],
        )
        proposals = IncidentProposals(services, IncidentDesk(services, TicketDesk(services)))
        spent: list[float] = []
        made = 0
        for n in range(6):
            for b, building in enumerate(BUILDINGS):
                clock[0] = NOW + timedelta(minutes=3 * n, seconds=b)
                owner = 9_000_000 + 10 * n + b
                state = {"flow": "intake", "token": f"b{owner}"}
                await store.save_conversation(owner, owner, state, clock[0])
                ticket = await store.create_ticket(
                    _draft(owner, building, clock[0]),
                    number_for=lambda k: f"BENCH-{k:06d}",
                    chat_id=owner,
                    token=f"b{owner}",
                    effects=lambda t: (t, [], []),
                    day_key="bench",
                )
                assert isinstance(ticket, Ticket)
                started = time.perf_counter()
                if await proposals.consider(ticket) is not None:
                    made += 1
                spent.append(time.perf_counter() - started)
        rows = await store.proposals_between(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
        # The first one also warms the database's pages up: shown apart.
        first, ms = 1000 * spent[0], sorted(1000 * s for s in spent[1:])
        print(
            f"{len(spent)} reports considered: the first {first:.1f} ms; then median"
            f" {statistics.median(ms):.2f} ms, max {ms[-1]:.2f} ms; {len(rows)} proposals"
            f" ({made} reports were in a proposal)"
        )
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.proposals --tickets N``."""
    parser = argparse.ArgumentParser(prog="python -m bench.proposals")
    parser.add_argument("--tickets", type=int, default=200_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="estatedesk-proposals-") as folder:
        asyncio.run(run(args.tickets, Path(folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
