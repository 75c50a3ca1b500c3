"""Database scale: the bot on a large database — start-up, /my, /queue, memory, slow queries."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.gen_db import GenInfo
from bench.intake import owner_steps
from bench.people import Inbox, latency_summary, perform
from bench.pg import Db
from bench.procs import Child, memory_kib
from bench.setup import Labels
from bot.config import Settings
from bot.core.periods import parse_period
from bot.reports.builder import build_report
from bot.store import Store
from bot.store.open import open_storage


async def command_latency(
    inbox: Inbox,
    user_id: int,
    command: str,
    repeat: int,
    timeout: float,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Send a command ``repeat`` times; seconds from update to the bot's first answer."""
    user = inbox.user(user_id)
    values: list[float] = []
    text = None
    for _ in range(repeat):
        inbox.drain(user.chat_id)
        started = time.monotonic()
        await user.send(command)
        try:
            message = await inbox.next(user.chat_id, None, timeout)
        except TimeoutError:
            return {"error": f"no answer to {command} in {timeout:g}s", "samples_ms": values}
        values.append(message.created - started)
        text = message.text
        await asyncio.sleep(0.2)  # let the rest of the answer (if any) go out
    summary = latency_summary(values)
    return {
        "first_ms": round(values[0] * 1000, 2),
        "median_ms": round(statistics.median(values) * 1000, 2),
        "max_ms": summary["max_ms"],
        "samples_ms": [round(v * 1000, 2) for v in values],
        "answer_head": (text or "")[:80],
    }


async def submit_one(
    inbox: Inbox,
    labels: Labels,
    user_id: int,
    timeout: float,  # noqa: ASYNC109
) -> dict[str, Any]:
    """One owner's whole report on the big database (routing reads the load of every ticket)."""
    user = inbox.user(user_id, first_name="Scale")
    run = await perform(inbox, user, owner_steps(labels, random.Random(user_id)), timeout)
    return {
        "error": run.error,
        "latency_by_step_ms": {name: round(v * 1000, 2) for name, v in run.latencies},
    }


def rss_at_rest(child: Child) -> dict[str, float]:
    """Resident and peak memory of the bot process, MiB."""
    return {
        "rss_mib": round(memory_kib(child.pid, "VmRSS") / 1024, 1),
        "peak_rss_mib": round(memory_kib(child.pid, "VmHWM") / 1024, 1),
    }


async def report_timings(settings: Settings, repeat: int = 3) -> dict[str, Any]:
    """The monthly report (last full month, everything in scope) built ``repeat`` times through
    the bot's own store, as ``python -m bot report --period last-month`` builds it: seconds of
    the first and the best run, and the tickets opened in the month."""
    store = await open_storage(settings)
    try:
        now = datetime.now(UTC)
        period = parse_period("last-month", now, settings.tz)
        times: list[float] = []
        tickets = 0
        for _ in range(repeat):
            started = time.perf_counter()
            report = await build_report(store, settings, period, now)
            times.append(time.perf_counter() - started)
            tickets = report.overall.opened
        return {
            "period": period.label,
            "first_s": round(times[0], 3),
            "best_s": round(min(times), 3),
            "opened": tickets,
        }
    finally:
        await store.close()


async def query_timings(db: Db, info: GenInfo, repeat: int = 3) -> list[dict[str, Any]]:
    """Time the store's read queries on the big database, with each statement's query plan."""
    if isinstance(db, str):
        return await _pg_query_timings(db, info, repeat)
    store = await Store.open(db)
    statements: list[str] = []
    await store._db.set_trace_callback(statements.append)

    async def plans() -> list[str]:
        return _plans(db, [s for s in statements if s.lstrip().upper().startswith("SELECT")])

    try:
        return await _time_calls(store, info, repeat, statements.clear, plans)
    finally:
        await store.close()


async def _pg_query_timings(url: str, info: GenInfo, repeat: int) -> list[dict[str, Any]]:
    """The same on PostgreSQL: statements caught by asyncpg's query logger (the store's pool
    has one connection while the calls run one at a time), plans from EXPLAIN."""
    from bot.store.postgres import PostgresStore

    store = await PostgresStore.open(url)
    caught: dict[str, tuple[Any, ...]] = {}

    def catch(query: asyncpg.connection.LoggedQuery) -> None:
        caught.setdefault(query.query, tuple(query.args or ()))

    async with store._pool.acquire() as held:
        held.add_query_logger(catch)

    async def plans() -> list[str]:
        out = []
        conn = await asyncpg.connect(url)
        try:
            for sql, args in caught.items():
                if not sql.lstrip().upper().startswith("SELECT") or "pg_advisory_unlock_all" in sql:
                    continue  # not a read, or asyncpg resetting the connection on release
                try:
                    rows = await conn.fetch(f"EXPLAIN {sql}", *args)
                except asyncpg.PostgresError as exc:
                    out.append(f"(cannot explain: {exc})")
                    continue
                out.append("; ".join(re.sub(r"\s+", " ", r[0]).strip() for r in rows))
        finally:
            await conn.close()
        return out or ["(no statement caught)"]

    try:
        return await _time_calls(store, info, repeat, caught.clear, plans)
    finally:
        await store.close()


async def _time_calls(
    store: Any,
    info: GenInfo,
    repeat: int,
    forget: Callable[[], None],
    plans: Callable[[], Awaitable[list[str]]],
) -> list[dict[str, Any]]:
    """Each read query ``repeat`` times; ``forget`` drops the statements caught so far,
    ``plans`` explains those caught since."""
    now = datetime.now(UTC)
    some = await store.get_ticket(1)
    number = some.number if some is not None else "X"
    calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("count_owner_tickets (/my)", lambda: store.count_owner_tickets(info.owner_id)),
        ("owner_tickets (/my)", lambda: store.owner_tickets(info.owner_id, 8, 0)),
        ("assigned_tickets (/queue)", lambda: store.assigned_tickets(info.staff_id)),
        ("open_load (routing, every new ticket)", lambda: store.open_load()),
        (
            "owner_tickets_since (abuse check, every new ticket)",
            lambda: store.owner_tickets_since(info.owner_id, now - timedelta(days=1)),
        ),
        ("surveys_pending (after every ticket change, start-up)", lambda: store.surveys_pending()),
        ("recent_assignees (routing)", lambda: store.recent_assignees()),
        ("unavailable_staff (routing)", lambda: store.unavailable_staff()),
        ("tickets_in_progress (start-up)", lambda: store.tickets_in_progress()),
        ("open_tickets (/open, admin)", lambda: store.open_tickets(None, now)),
        ("get_ticket_by_number (/ticket)", lambda: store.get_ticket_by_number(number)),
        ("ticket_events (timeline)", lambda: store.ticket_events(1)),
        ("due_outbox (outbox worker)", lambda: store.due_outbox(now)),
        ("outbox_counts", lambda: store.outbox_counts()),
    ]
    results = []
    for name, call in calls:
        if not hasattr(store, name.split(" ")[0]):
            continue  # the store changed under the benchmark: skip what is gone
        times = []
        rows = 0
        for _ in range(repeat):
            forget()
            started = time.perf_counter()
            value = await call()
            times.append(time.perf_counter() - started)
            rows = len(value) if hasattr(value, "__len__") else 1
        results.append(
            {
                "query": name,
                "best_ms": round(min(times) * 1000, 2),
                "first_ms": round(times[0] * 1000, 2),
                "rows": rows,
                "plan": await plans(),
            }
        )
    return results


def _plans(db: Path, statements: list[str]) -> list[str]:
    """EXPLAIN QUERY PLAN of each distinct statement, one line per step."""
    out = []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for sql in dict.fromkeys(statements):
            try:
                steps = conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            except sqlite3.Error as exc:
                out.append(f"(cannot explain: {exc})")
                continue
            out.append("; ".join(re.sub(r"\s+", " ", str(s[-1])) for s in steps))
    return out
