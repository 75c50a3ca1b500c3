"""SIGKILL at random moments while several owners file reports; start again; nothing is lost.

The bot runs as a real process (``python -m bot run``) against the fake server. Owners act as
people do (see TolerantOwner in test_faults): they answer the newest question and, when the
bot is silent for a while, send /new and tap "Continue my report". A killer task SIGKILLs the
process at seeded random moments and starts it again at once. Afterwards:

- every ticket number an owner saw exists exactly once, and each owner has exactly the one
  ticket they filed (no repeat from a redelivered Submit);
- every conversation that was cut off went on where it stopped (the questions each owner saw
  never go backwards, so no report silently restarted from the first question);
- every update the owners sent was handled (recorded in handled_updates) or deliberately
  dropped (logged as such), none silently lost;
- every outbox message ends 'sent'; the log has no Traceback.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.fakebot import FakeBotApi
from tests.harness import (
    ROOT,
    TOKEN,
    Desk,
    Words,
    database_url,
    read_rows,
    register_staff,
    settings_for,
)
from tests.test_faults import (
    MIX,
    Filing,
    Report,
    TolerantOwner,
    assert_in_order,
    outbox_all_sent,
    steps_seen,
)

PLACES = [
    ("harbour_view", "3"),
    ("harbour_view", "1"),
    ("emerald_lake", "B"),
    ("emerald_lake", "D"),
]
LANGUAGES = [("en", "en"), ("zh-hans", "zh-Hans")]  # (Telegram language_code, catalog language)


class BotProcess:
    """``python -m bot run`` on one database, killed and started again at will."""

    def __init__(self, fake: FakeBotApi, db: Path, log: Path) -> None:
        self.fake = fake
        self.db = db
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0

    async def start(self) -> None:
        """Start a new process (appending to the same log)."""
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.fake.url,
            "DATABASE_PATH": str(self.db),
            # On a PostgreSQL run the test's database (the folder's, as the harness gives it).
            "DATABASE_URL": database_url(self.db.parent) or "",
            "PTB_TIMEDELTA": "true",
        }
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--config",
                str(ROOT / "config.yaml"),
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=out,
            )
        self.starts += 1

    def assert_running(self) -> None:
        """The process has not exited on its own (a crash, or refusing to start)."""
        assert self.proc is not None
        assert self.proc.returncode is None, (
            f"the bot exited by itself with code {self.proc.returncode}\n{self.tail()}"
        )

    async def kill(self) -> None:
        """SIGKILL: no clean shutdown at all."""
        assert self.proc is not None
        self.assert_running()
        self.proc.kill()
        await self.proc.wait()
        self.kills += 1

    async def terminate(self, within: float = 15.0) -> int:
        """SIGTERM and wait for a clean exit; returns the exit code.

        Waits for the newest process to finish starting first: during Python's own start-up
        (imports, before the event loop installs its handler) SIGTERM simply ends a process
        that holds nothing yet, which is not the shutdown being tested.
        """
        assert self.proc is not None
        deadline = time.monotonic() + within
        started = "INFO bot.tg.runtime: bot @"
        while self.log.read_text(encoding="utf-8").count(started) < self.starts:
            self.assert_running()
            assert time.monotonic() < deadline, f"the bot did not start\n{self.tail()}"
            await asyncio.sleep(0.05)
        self.proc.terminate()
        return await asyncio.wait_for(self.proc.wait(), within)

    async def ensure_dead(self) -> None:
        """Kill the process if it still runs (cleanup after a failure)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    def tail(self, lines: int = 60) -> str:
        """The end of the log."""
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(encoding="utf-8").splitlines()[-lines:])


async def db_rows(db: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Read rows from the bot's database (the file, or the test's PostgreSQL database)."""
    return await read_rows(db, database_url(db.parent), sql, *params)


@dataclass
class Figures:
    """What a crash run did and what, if anything, was lost."""

    owners: int = 0
    kills: int = 0
    tickets: int = 0
    numbers_seen: int = 0
    nudges: int = 0
    updates: int = 0
    redelivered: int = 0
    dropped: list[int] = field(default_factory=list)
    lost_updates: list[int] = field(default_factory=list)
    lost_tickets: list[str] = field(default_factory=list)
    unsent: list[dict[str, Any]] = field(default_factory=list)
    tracebacks: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """One printable line."""
        return (
            f"crash: {self.owners} owners, {self.kills} SIGKILLs, {self.tickets} tickets "
            f"({self.numbers_seen} numbers seen), {self.updates} owner updates "
            f"({self.redelivered} redelivered, {len(self.dropped)} dropped on purpose), "
            f"{self.nudges} nudges; lost: {len(self.lost_updates)} updates, "
            f"{len(self.lost_tickets)} tickets, {len(self.unsent)} unsent outbox rows; "
            f"{self.tracebacks} tracebacks; {self.seconds:.1f}s"
        )


async def crash_run(
    fake: FakeBotApi,
    tmp_path: Path,
    *,
    owners: int,
    kills: int,
    seed: int,
    stagger: float,
    kill_gap: tuple[float, float],
    within: float,
) -> Figures:
    """Owners file one report each while the bot is SIGKILLed ``kills`` times."""
    db, log = tmp_path / "desk.sqlite3", tmp_path / "bot.log"
    settings = settings_for(fake, db)
    register_staff(fake, settings)
    rng = random.Random(seed)
    figures = Figures(owners=owners)
    bot = BotProcess(fake, db, log)
    people = []
    for i in range(owners):
        code, lang = LANGUAGES[i % len(LANGUAGES)]
        estate, building = rng.choice(PLACES)
        category, sub, urgency = MIX[i % len(MIX)]
        report = Report(
            description=f"Crash run {seed}: trouble in flat {2001 + i} (#{i})",
            unit=str(2001 + i),
            category=category,
            sub=sub,
            urgency=urgency,
            estate=estate,
            building=building,
            photo=i % 3 == 0,
        )
        user = fake.user(8_200_000 + i, first_name=f"Crash{i}", language_code=code)
        owner = TolerantOwner(
            user,
            Words(settings, lang),
            report,
            random.Random(rng.random()),
            photos_max=settings.limits.photos_max,
            think=(0.6, 1.4),
        )
        people.append((owner, rng.uniform(0, stagger)))

    async def life(owner: TolerantOwner, delay: float) -> Filing:
        await asyncio.sleep(delay)
        return await owner.file(within=within)

    async def killer() -> None:
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(*kill_gap))
            # Aim at the moments that matter: just after someone pressed or typed, while
            # the bot is fetching, handling or answering it (0-60 ms later).
            seen = fake.stats.updates_enqueued
            for _ in range(100):
                if fake.stats.updates_enqueued != seen:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0.0, 0.06))
            await bot.kill()
            await bot.start()

    started = time.monotonic()
    await bot.start()
    try:
        killing = asyncio.create_task(killer())
        filings = await asyncio.gather(*(life(o, d) for o, d in people))
        await killing
        bot.assert_running()
        figures.unsent = await outbox_all_sent(partial(db_rows, db), within=20.0)
        code = await bot.terminate()
        assert code == 0, f"exit code {code}\n{bot.tail()}"
    finally:
        await bot.ensure_dead()
    figures.seconds = time.monotonic() - started
    figures.kills = bot.kills

    tickets = await db_rows(db, "SELECT number, owner_id, description FROM tickets")
    handled = {r["update_id"] for r in await db_rows(db, "SELECT update_id FROM handled_updates")}
    text = log.read_text(encoding="utf-8")
    figures.dropped = [int(n) for n in re.findall(r"dropping update (\d+)", text)]
    sent = [u for f in filings for u in f.updates]
    figures.updates = len(sent)
    figures.redelivered = fake.stats.updates_delivered - fake.stats.updates_enqueued
    figures.lost_updates = sorted(set(sent) - handled - set(figures.dropped))
    figures.tickets = len(tickets)
    figures.nudges = sum(f.nudges for f in filings)
    figures.tracebacks = text.count("Traceback")
    numbers = {f.number for f in filings if f.number}
    figures.numbers_seen = len(numbers)
    figures.lost_tickets = sorted(numbers - {r["number"] for r in tickets})
    print("\n" + figures.line())

    for (owner, _), filing in zip(people, filings, strict=True):
        who = filing.owner
        mine = [r for r in tickets if r["owner_id"] == who.id]
        assert filing.number is not None, f"{who} never got a ticket number\n{fake.dump(who.id)}"
        assert [r["number"] for r in mine] == [filing.number], f"{who}: {mine}"
        assert mine[0]["description"] == filing.report.description
        assert_in_order(steps_seen(fake, who.id, owner.q), who)
    assert len({r["number"] for r in tickets}) == len(tickets) == owners
    assert figures.lost_tickets == []
    assert figures.lost_updates == [], f"updates never handled: {figures.lost_updates}"
    assert figures.unsent == [], f"outbox rows not sent: {figures.unsent}"
    assert await db_rows(db, "SELECT chat_id FROM conversations") == []
    assert TOKEN not in text
    tracebacks = [block.split("\n\n")[0] for block in text.split("Traceback")[1:]]
    assert figures.tracebacks == 0, "tracebacks in the log:\n" + "\n---\n".join(
        b[-800:] for b in tracebacks[:3]
    )
    return figures


async def test_sigkill_at_random_moments_loses_nothing(fake: FakeBotApi, tmp_path: Path) -> None:
    figures = await crash_run(
        fake, tmp_path, owners=6, kills=3, seed=7, stagger=6.0, kill_gap=(2.0, 5.0), within=60.0
    )
    assert figures.kills == 3


@pytest.mark.slow
async def test_sigkill_soak_twenty_kills(fake: FakeBotApi, tmp_path: Path) -> None:
    figures = await crash_run(
        fake,
        tmp_path,
        owners=24,
        kills=20,
        seed=11,
        stagger=60.0,
        kill_gap=(1.5, 5.0),
        within=150.0,
    )
    assert figures.kills == 20


async def test_press_while_the_bot_was_down_is_taken(
    fake: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A button pressed while the bot was down is handled on restart, even though Telegram no
    longer accepts an answer to the press (callback queries expire after a few seconds)."""
    desk = Desk(fake, tmp_path)
    await desk.start()
    owner = fake.user(8_300_001, language_code="en")
    w = Words(desk.settings, "en")
    await owner.command("/new")
    await owner.wait_for_message(lambda m: w.t("intake.ask_what") in (m.text or ""))
    await owner.send("Water leaking under the kitchen sink")
    card = await owner.wait_for_message(lambda m: w.t("intake.ask_estate") in (m.text or ""))
    await desk.stop()
    press = await owner.press(w.estate("harbour_view"))
    # Down for longer than Telegram keeps a callback query answerable.
    fake.bot().open_queries.pop(press["callback_query"]["id"])
    caplog.clear()
    await desk.start()
    try:
        shown = await owner.wait_for_edit(card.message_id)
        assert w.t("intake.ask_building") in (shown.text or "")
        await owner.wait_idle()
    finally:
        await desk.stop()
    errors = [
        f"{r.name}: {r.getMessage()} ({r.exc_info[1] if r.exc_info else ''})"
        for r in caplog.records
        if r.levelno >= 40
    ]
    apologies = [m.text for m in owner.messages if w.t("error.generic") in (m.text or "")]
    assert (errors, apologies) == ([], [])
