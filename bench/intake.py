"""Intake load: N owners file a report at once; the same load against the bare echo bot."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import pg
from bench.people import Inbox, Run, Step, latency_summary, perform, wait_until
from bench.pg import Db
from bench.procs import Child, cpu_seconds, memory_kib, own_cpu_seconds
from bench.setup import Labels

OWNER_BASE = 500_000_000
PROBLEMS = (
    "Water drips from the bathroom ceiling",
    "The balcony door will not lock",
    "Cracked floor tiles in the kitchen",
    "The corridor light flickers all night",
    "The lift stops between floors and the doors open slowly",
    "No hot water since morning",
)


def owner_steps(labels: Labels, rng: random.Random) -> list[Step]:
    """One first-time owner's whole report: /new, one sentence, estate, building, flat,
    Submit, Skip the phone, until the ticket number (7 steps; the card is edited in place)."""
    settings = labels.settings
    t = labels.t
    # Subjects the description's words propose, without the hotline's 5-minute deadlines.
    emergency = {u.id for u in settings.urgencies if u.show_hotline}
    subjects = [
        (c, sub)
        for c in settings.categories
        for sub in c.subcategories
        if sub.id != "other" and sub.urgency not in emergency
    ]
    _, sub = rng.choice(subjects)
    estate = rng.choice([e for e in settings.estates if e.buildings])
    building = rng.choice(estate.buildings)
    unit = f"{building.id}-{rng.randint(1, 30)}{rng.randint(1, 4):02d}"
    created = t("ticket.created", number="\x00").split("\x00")[0]
    number = re.compile(rf"{re.escape(settings.ticket_prefix)}-\d{{8}}-\d{{4,}}")
    # The subcategory's own name is among its keywords: the card proposes it.
    description = f"{labels.name(sub.name)}: {rng.choice(PROBLEMS)} (flat {unit})"

    def says(text: str) -> Any:
        return lambda m: text in (m.text or "")

    return [
        Step("text", "/new", says(t("intake.ask_what")), "new"),
        Step("text", description, says(t("intake.ask_estate")), "description"),
        Step("press", labels.name(estate.name), says(t("intake.ask_building")), "estate"),
        Step("press", labels.name(building.name), says(t("intake.ask_unit")), "building"),
        Step("text", unit, says(t("intake.card_summary")), "unit"),
        Step("press", t("flow.btn_submit"), says(t("intake.ask_phone")), "summary"),
        # The last step's answer is the ticket number ("submit" in the figures, as before).
        Step(
            "text",
            t("flow.btn_skip"),
            lambda m: created in (m.text or "") and bool(number.search(m.text or "")),
            "submit",
        ),
    ]


def echo_steps(pattern: list[Step]) -> list[Step]:
    """The same sequence of typing and pressing, against the echo bot (any reply will do)."""
    return [
        Step(s.action, s.value if s.action == "text" else "OK", lambda m: True, s.name)
        for s in pattern
    ]


@dataclass
class LoadResult:
    """One load run against one bot process."""

    runs: list[Run]
    started: float
    finished: float
    cpu_s: float
    harness_cpu_s: float
    cpu_samples: list[tuple[float, float]] = field(default_factory=list)  # (time, bot CPU s)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> list[Run]:
        """Owners who got every answer."""
        return [r for r in self.runs if r.error is None]

    @property
    def updates(self) -> int:
        """Updates the owners sent (answered or not)."""
        return sum(len(r.latencies) + (r.error is not None) for r in self.runs)

    @property
    def seconds(self) -> float:
        """From the first update enqueued to the last answer."""
        return max(self.finished - self.started, 1e-9)


async def drive(
    inbox: Inbox,
    child: Child,
    scripts: dict[int, list[Step]],
    timeout: float,  # noqa: ASYNC109
) -> LoadResult:
    """Run every owner's script at once against a started bot process."""
    users = {uid: inbox.user(uid, first_name=f"Owner{uid % 10_000}") for uid in scripts}
    cpu0, own0 = cpu_seconds(child.pid), own_cpu_seconds()
    started = time.monotonic()
    samples = [(started, cpu0)]

    async def sample() -> None:
        while True:
            await asyncio.sleep(0.2)
            samples.append((time.monotonic(), cpu_seconds(child.pid)))

    sampler = asyncio.create_task(sample())
    try:
        runs = await asyncio.gather(
            *(perform(inbox, users[uid], steps, timeout) for uid, steps in scripts.items())
        )
    finally:
        sampler.cancel()
    cpu1, own1 = cpu_seconds(child.pid), own_cpu_seconds()
    samples.append((time.monotonic(), cpu1))
    finished = max((r.finished_at for r in runs if r.finished_at is not None), default=started)
    return LoadResult(list(runs), started, finished, cpu1 - cpu0, own1 - own0, samples)


def cpu_at(samples: list[tuple[float, float]], moment: float) -> float:
    """The bot's CPU seconds at ``moment``, interpolated between samples."""
    before = max((s for s in samples if s[0] <= moment), default=samples[0])
    after = min((s for s in samples if s[0] >= moment), default=samples[-1])
    if after[0] <= before[0]:
        return before[1]
    share = (moment - before[0]) / (after[0] - before[0])
    return before[1] + share * (after[1] - before[1])


def pending_outbox(db: Path) -> int:
    """Messages the bot has still to send (read straight from its database file)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        row = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()
    return int(row[0])


async def pending_in(db: Db) -> int:
    """Messages the bot has still to send, on either backend."""
    if isinstance(db, str):
        return int(await pg.scalar(db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"))
    return await asyncio.to_thread(pending_outbox, db)


async def wait_outbox_drained(db: Db, timeout: float) -> bool:  # noqa: ASYNC109
    """Poll the database until nothing is pending in the outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await pending_in(db) == 0:
            return True
        await asyncio.sleep(0.2)
    return False


def summarize_load(result: LoadResult, child: Child) -> dict[str, Any]:
    """The figures of one load run."""
    latencies = [v for r in result.runs for _, v in r.latencies]
    by_step: dict[str, list[float]] = {}
    for r in result.runs:
        for name, v in r.latencies:
            by_step.setdefault(name, []).append(v)
    updates = result.updates
    # The conversation itself: every step up to pressing Submit (whose answer, the ticket
    # number, comes through the outbox and is measured apart).
    before_submit = [
        r.sent_at[-1]
        for r in result.runs
        if len(r.sent_at) == len(r.latencies) and r.latencies and r.latencies[-1][0] == "submit"
    ]
    conversation_end = max(before_submit, default=result.started)
    conversation_s = max(conversation_end - result.started, 1e-9)
    conversation_updates = sum(len(r.sent_at) - 1 for r in result.runs if r.sent_at)
    conversation_cpu = cpu_at(result.cpu_samples, conversation_end) - result.cpu_samples[0][1]
    return {
        "owners": len(result.runs),
        "owners_completed": len(result.ok),
        "errors": [r.error for r in result.runs if r.error][:10],
        "updates": updates,
        "seconds": round(result.seconds, 3),
        "updates_per_s": round(updates / result.seconds, 2),
        "completed_per_s": round(len(result.ok) / result.seconds, 3),
        "conversation_seconds": round(conversation_s, 3),
        "conversation_updates_per_s": round(conversation_updates / conversation_s, 2),
        "conversation_cpu_ms_per_update": round(
            1000 * conversation_cpu / max(conversation_updates, 1), 3
        ),
        "latency": latency_summary(latencies),
        "latency_by_step": {k: latency_summary(v) for k, v in by_step.items()},
        "cpu_s": round(result.cpu_s, 3),
        "cpu_ms_per_update": round(1000 * result.cpu_s / max(updates, 1), 3),
        "cpu_utilisation": round(result.cpu_s / result.seconds, 3),  # of one core
        "harness_cpu_s": round(result.harness_cpu_s, 3),
        "peak_rss_mib": round(memory_kib(child.pid, "VmHWM") / 1024, 1),
        **result.extra,
    }


def tickets_in_db(db: Path) -> list[str]:
    """Every ticket number in the bot's database."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return [r[0] for r in conn.execute("SELECT number FROM tickets ORDER BY id")]


async def stored_numbers(db: Db) -> list[str]:
    """Every ticket number in the bot's database, on either backend."""
    if isinstance(db, str):
        return [str(n) for n in await pg.column(db, "SELECT number FROM tickets ORDER BY id")]
    return await asyncio.to_thread(tickets_in_db, db)


def confirmation_numbers(runs: list[Run], prefix: str) -> list[str]:
    """The ticket numbers the owners were shown."""
    pattern = re.compile(rf"{re.escape(prefix)}-\d{{8}}-\d{{4,}}")
    found = []
    for r in runs:
        match = pattern.search(r.last_text or "") if r.error is None else None
        if match:
            found.append(match.group(0))
    return found


def scripts_for(labels: Labels, owners: int, first_id: int, seed: int) -> dict[int, list[Step]]:
    """A script per owner, reproducible from the seed."""
    rng = random.Random(seed)
    return {first_id + i: owner_steps(labels, rng) for i in range(owners)}


async def until_idle(child: Child, quiet: float = 0.5, timeout: float = 10) -> None:  # noqa: ASYNC109
    """Wait until the process uses (almost) no CPU for ``quiet`` seconds."""
    last = cpu_seconds(child.pid)
    still_since = time.monotonic()

    def probe() -> bool:
        nonlocal last, still_since
        now_cpu = cpu_seconds(child.pid)
        if now_cpu - last > 0.02:
            still_since = time.monotonic()
        last = now_cpu
        return time.monotonic() - still_since >= quiet

    await wait_until(probe, timeout, every=0.1)
