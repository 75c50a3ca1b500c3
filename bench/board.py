"""The dashboard's board API on a big database: latency per page, on SQLite and PostgreSQL.

    python -m bench.board --tickets 1000000 --storage both --out bench/results/board.json

Generates the database with ``bench.gen_db`` (about 5 % open: 50,000 of a million) or reuses
``--db``; for PostgreSQL copies it in with ``bench.pg``. Then serves the dashboard in-process
(``bot.web.app``, the real aiohttp app, Mini App sign-in) and asks, many times over, for what a
supervisor's board asks: every column's first page (``/api/board``), a column's later pages,
filtered and searched lists, and one ticket. Prints p50 / p95 / max per request kind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench import gen_db
from bot.clock import utc_now
from bot.config import Settings, load_settings
from bot.core.calendars import Calendars
from bot.desk.context import DeskServices
from bot.desk.surveys import SurveyJobs
from bot.desk.tickets import TicketDesk
from bot.store.interfaces import Storage
from bot.texts import default_catalog
from bot.web.app import WebServer, build_web_app
from bot.web.initdata import sign_init_data

TOKEN = "123456:BENCH-token"
ADMIN = 5713096628  # sees everything
SUPERVISOR = 6021834457  # maintenance only


def _auth(user: int) -> dict[str, str]:
    fields = {
        "user": json.dumps({"id": user, "first_name": "Bench"}),
        "auth_date": str(int(utc_now().timestamp())),
    }
    return {"Authorization": f"tma {sign_init_data(fields, TOKEN)}"}


def _requests(number: str) -> dict[str, list[str]]:
    """Request kind → the paths of that kind, asked in turn."""
    return {
        "board (6 columns, 20 each)": ["/api/board"],
        "column page": [
            f"/api/tickets?column={c}&page={p}&per_page=20"
            for c in ("new", "assigned", "accepted", "in_progress", "waiting", "resolved")
            for p in (1, 5, 50)
        ],
        "filtered page": [
            "/api/tickets?status=accepted&estate=harbour_view&per_page=50",
            "/api/tickets?overdue=1&per_page=50",
            "/api/tickets?department=maintenance&urgency=urgent&status=new,assigned,accepted",
            "/api/tickets?category=water_power&status=accepted&page=3",
            "/api/tickets?assignee=7034518826&status=assigned,accepted",
        ],
        "search": [
            "/api/tickets?q=water&status=new,assigned,accepted",
            f"/api/tickets?q={number}",
        ],
        "ticket": [f"/api/tickets/{number}"],
    }


async def measure(store: Storage, settings: Settings, rounds: int) -> dict[str, Any]:
    """Serve the dashboard on ``store`` and time the board's requests."""
    year = utc_now().year
    services = DeskServices(
        settings=settings,
        store=store,
        catalog=default_catalog(),
        calendars=Calendars(settings, (year, year + 1)),
    )
    desk = TicketDesk(services)
    app = build_web_app(desk, SurveyJobs(services, desk, None), TOKEN, None)
    server = WebServer(app, "127.0.0.1", 0)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    results: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as http:
            first = await _get(http, base + "/api/tickets?status=accepted&per_page=1", _auth(ADMIN))
            number = first["items"][0]["number"]
            for who, user in (("admin", ADMIN), ("supervisor", SUPERVISOR)):
                headers = _auth(user)
                for kind, paths in _requests(number).items():
                    if who == "supervisor" and kind == "ticket":
                        continue
                    times = []
                    for _ in range(rounds):
                        for path in paths:
                            started = time.perf_counter()
                            await _get(http, base + path, headers)
                            times.append((time.perf_counter() - started) * 1000)
                    times.sort()
                    results[f"{who}: {kind}"] = {
                        "n": len(times),
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[math.ceil(0.95 * len(times)) - 1], 1),
                        "max_ms": round(times[-1], 1),
                    }
    finally:
        await server.stop()
    return results


async def _get(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
    async with http.get(url, headers=headers) as response:
        body = await response.json()
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status} {body}")
        return body


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or reuse) the database and measure on the chosen backends."""
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    settings = load_settings(args.config, env=env)
    db: Path = args.db
    out: dict[str, Any] = {"tickets": args.tickets}
    if args.generate:
        info = await gen_db.generate(db, args.tickets, settings)
        out["generated"] = {"open": info.open_tickets, "seconds": info.seconds}
        await asyncio.to_thread(_analyze, db)
    from bench.pg import copy_sqlite_into, fresh_database, open_store, server

    if args.storage in ("sqlite", "both"):
        store = await open_store(db)  # migrates: the dashboard's index is built here
        try:
            out["sqlite"] = await measure(store, settings, args.rounds)
        finally:
            await store.close()
    if args.storage in ("postgres", "both"):
        async with server() as srv:
            url = await fresh_database(srv)
            out["postgres_copy"] = await copy_sqlite_into(db, url)
            # A database in use has been vacuumed: index-only scans need the visibility map.
            conn = await asyncpg.connect(url)
            try:
                await conn.execute("VACUUM ANALYZE tickets")
            finally:
                await conn.close()
            store = await open_store(url)
            try:
                out["postgres"] = await measure(store, settings, args.rounds)
            finally:
                await store.close()
    return out


def _analyze(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.board``."""
    parser = argparse.ArgumentParser(prog="python -m bench.board", description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/estatedesk-board.sqlite3"))
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--storage", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    args.generate = not args.db.exists()
    result = asyncio.run(run(args))
    for backend in ("sqlite", "postgres"):
        for kind, figures in result.get(backend, {}).items():
            print(
                f"{backend:9} {kind:40} p50 {figures['p50_ms']:7.1f} ms"
                f"  p95 {figures['p95_ms']:7.1f} ms  max {figures['max_ms']:7.1f} ms"
                f"  (n={figures['n']})"
            )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
