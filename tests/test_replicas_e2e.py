"""Three ``python -m bot run`` replicas on one PostgreSQL, under load, while things break.

50 owners file at once (the tolerant owners of test_faults) at Telegram's real pace, checked
by the fake server's flood control; deadlines are cut to seconds so escalations fall inside
the run. The polling leader is SIGKILLed twice (and started again, as systemd would) and
another replica's database sessions are cut (pg_terminate_backend). Afterwards every owner
has exactly one ticket, every outbox row is sent, staff and groups got no message twice
beyond what a kill can cause (a send whose "sent" mark died with the process), no missed
deadline was escalated twice or left unescalated, and Telegram never had to answer 429.

The run takes about two minutes (a staff group takes 20 messages a minute), so it is a soak:
``python -m pytest -m soak tests/test_replicas_e2e.py -s``.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.fakebot import FakeBotApi, RateLimits
from tests.harness import ROOT, TOKEN, Words, register_staff, settings_for
from tests.pg import pg_server, pg_url  # noqa: F401
from tests.test_faults import MIX, Filing, Report, TolerantOwner, outbox_all_sent

OWNERS = 50
ACCEPT_WITHIN = "25s"
PLACES = [("harbour_view", "3"), ("harbour_view", "1"), ("emerald_lake", "B")]
SENDS = {"sendMessage", "sendPhoto", "sendMediaGroup"}


def short_deadlines(tmp_path: Path) -> Path:
    """config.yaml with every accept deadline at 25 s around the clock, flows beside it."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s+accept_within:) \S+", rf"\1 {ACCEPT_WITHIN}", text)
    text = re.sub(r"(?m)^(\s+clock:) business", r"\1 always", text)
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "flows").symlink_to(ROOT / "flows")
    return path


class Replica:
    """One ``python -m bot run`` process on the shared database."""

    def __init__(
        self, fake: FakeBotApi, url: str, config: Path, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.fake, self.url, self.config, self.log = fake, url, config, log
        self.env = env or {}  # e.g. libfaketime's: a machine whose clock is off
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        """Start a process (appending to the same log)."""
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.fake.url,
            "DATABASE_URL": self.url,
            "PTB_TIMEDELTA": "true",
            **self.env,
        }
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(self.config),
                env=env, cwd=ROOT, stdout=out, stderr=out,
            )  # fmt: skip
        self.starts += 1

    async def started(self, within: float = 30.0) -> str:
        """Wait until the newest process is up; its replica id."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            ids = re.findall(r"bot @\S+ started;.*; replica (\S+)", self.text())
            if len(ids) >= self.starts:
                return ids[-1]
            assert self.proc is not None and self.proc.returncode is None, self.text()[-3000:]
            await asyncio.sleep(0.1)
        raise AssertionError("replica did not start:\n" + self.text()[-3000:])

    async def kill(self) -> None:
        """SIGKILL."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def terminate(self) -> int | None:
        """SIGTERM and wait."""
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    def text(self) -> str:
        """The log so far."""
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""


async def _value(url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def _rows(url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


@pytest.mark.soak
async def test_three_replicas_lose_nothing_while_the_leader_dies(
    fake: FakeBotApi,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = short_deadlines(tmp_path)
    settings = settings_for(fake, tmp_path / "unused.sqlite3", config, telegram_pace=True)
    register_staff(fake, settings)
    fake.faults.rate_limits = RateLimits(enabled=True)  # Telegram's own limits
    replicas = [Replica(fake, pg_url, config, tmp_path / f"replica{i}.log") for i in range(3)]
    ids: dict[str, Replica] = {}
    rng = random.Random(16)
    owners = []
    for i in range(OWNERS):
        estate, building = PLACES[i % len(PLACES)]
        category, sub, urgency = MIX[i % len(MIX)]
        report = Report(
            description=f"Replica run: trouble in flat {3001 + i} (#{i})",
            unit=str(3001 + i),
            category=category,
            sub=sub,
            urgency=urgency,
            estate=estate,
            building=building,
        )
        user = fake.user(8_300_000 + i, first_name=f"Rep{i}", language_code="en")
        owners.append(
            TolerantOwner(user, Words(settings, "en"), report, random.Random(rng.random()))
        )
    # (lease taken, first getUpdates asked by the new poller) in seconds after the SIGKILL: a
    # long poll with nothing waiting is answered only at its timeout, so the asking counts.
    takeovers: list[tuple[float, float]] = []
    events: list[str] = []

    async def leader() -> str:
        for _ in range(100):
            holder = await _value(
                pg_url, "SELECT holder FROM leases WHERE name = 'poller' AND expires_at > now()"
            )
            if holder in ids:
                return str(holder)
            await asyncio.sleep(0.1)
        raise AssertionError("nobody holds the poller's lease")

    async def kill_leader() -> None:
        old = await leader()
        killed = time.monotonic()
        await ids[old].kill()
        taken = polled = None
        while taken is None or polled is None:
            assert time.monotonic() - killed < 30, "nobody took over polling"
            holder = await _value(
                pg_url, "SELECT holder FROM leases WHERE name = 'poller' AND expires_at > now()"
            )
            if taken is None and holder not in (None, old):
                taken = time.monotonic() - killed
            if polled is None:
                asked = [
                    c.asked
                    for c in list(fake.calls)
                    if c.method == "getUpdates" and c.status == 200 and c.asked > killed
                ]
                if asked:
                    polled = min(asked) - killed
            await asyncio.sleep(0.05)
        takeovers.append((taken, polled))
        events.append(f"killed leader {old}: lease taken {taken:.1f}s, polling {polled:.1f}s")
        replica = ids.pop(old)
        await replica.start()  # systemd's Restart=always
        ids[await replica.started()] = replica

    async def cut_a_follower() -> None:
        poller = await leader()
        victim = next(i for i in ids if i != poller)
        cut = await _value(
            pg_url,
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            f"estatedesk {victim}"[:63],
        )
        events.append(f"cut {cut} database sessions of {victim}")
        assert cut >= 1

    async def chaos() -> None:
        await asyncio.sleep(10)
        await kill_leader()
        await asyncio.sleep(6)
        await cut_a_follower()
        await asyncio.sleep(8)
        await kill_leader()

    async def life(owner: TolerantOwner, delay: float) -> Filing:
        await asyncio.sleep(delay)
        return await owner.file(within=150.0)

    started = time.monotonic()
    try:
        for replica in replicas:
            await replica.start()
        for replica in replicas:
            ids[await replica.started()] = replica
        chaos_task = asyncio.create_task(chaos())
        filings = await asyncio.gather(*(life(o, rng.uniform(0, 5)) for o in owners))
        await chaos_task
        # Nobody accepts, so escalations go on every 25 s: what was queued while the owners
        # filed must be out within a minute (plus a group's 20 a minute).
        filed = await _value(pg_url, "SELECT now()")
        unsent = await outbox_all_sent(
            lambda sql: _rows(pg_url, sql.replace("WHERE", "WHERE created_at < $1 AND"), filed),
            within=60.0,
        )
    finally:
        codes = [await r.terminate() for r in replicas]
    seconds = time.monotonic() - started

    tickets = await _rows(pg_url, "SELECT id, number, owner_id, status, accept_due FROM tickets")
    escalations = await _rows(
        pg_url,
        "SELECT ticket_id, data->>'stage' AS stage, data->>'due' AS due FROM ticket_events"
        " WHERE kind = 'escalated'",
    )
    db_now = await _value(pg_url, "SELECT now()")
    staff_chats = {m.telegram_id for m in settings.staff} | {
        d.group_chat_id for d in settings.departments if d.group_chat_id is not None
    }
    sends = Counter(
        (c.params.get("chat_id"), c.method, c.params.get("text") or c.params.get("caption"))
        for c in list(fake.calls)
        if c.method in SENDS and c.status == 200 and int(c.params.get("chat_id", 0)) in staff_chats
    )
    twice = {k: n for k, n in sends.items() if n > 1}
    repeated = Counter((e["ticket_id"], e["stage"], e["due"]) for e in escalations)
    overdue_unescalated = [
        t["number"]
        for t in tickets
        if t["status"] in ("new", "assigned")
        and (db_now - t["accept_due"]).total_seconds() > 12
        and (t["id"], "accept", t["accept_due"].isoformat()) not in repeated
    ]
    print(
        f"\nreplicas: {OWNERS} owners, {len(tickets)} tickets, {len(escalations)} escalations,"
        f" {sum(sends.values())} messages to staff and groups ({len(twice)} twice),"
        f" 429s {fake.stats.flood_429}, {seconds:.0f}s\n  " + "\n  ".join(events)
    )
    logs = "\n".join(r.text() for r in replicas)
    assert TOKEN not in logs
    assert len(takeovers) == 2 and all(max(t) < 10 for t in takeovers), takeovers
    for owner, filing in zip(owners, filings, strict=True):
        mine = [t["number"] for t in tickets if t["owner_id"] == owner.user.id]
        assert filing.number is not None, f"{owner.user} never got a number"
        assert mine == [filing.number], (owner.user, mine)
    assert len(tickets) == OWNERS
    assert unsent == [], unsent
    # At least once: a killed replica may have sent a message it could not mark sent.
    assert sum(n - 1 for n in twice.values()) <= 3, list(twice.items())[:5]
    assert [k for k, n in repeated.items() if n > 1] == []
    assert escalations, "no deadline fell inside the run"
    assert overdue_unescalated == []
    assert fake.stats.flood_429 == 0
    assert all(code == 0 for code in codes), (codes, logs[-3000:])
