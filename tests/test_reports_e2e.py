"""Reports end to end: /stats for supervisors only, and the daily digest once across restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import CommandHandler, filters

from bot.clock import ShiftedClock
from bot.reports.charts import PNG_SIGNATURE
from bot.store import Store
from bot.tg.reports import ReportsDesk
from tests.fakebot import FakeBotApi
from tests.harness import DEFAULT_NOW, Desk, Words, expect, sqlite_only
from tests.test_e2e_staff import LI_SUP, WANG, ZHOU_ADMIN, file_ticket, zh

ENV_SUP = 5930127784  # 陈秀英, supervisor of the environment department
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ensure_stats(desk: Desk) -> None:
    """Register /stats the way bot/tg/app.py does, unless it already does."""
    runtime = desk.runtime
    assert runtime is not None and runtime.app is not None and runtime.services is not None
    app = runtime.app
    for handlers in app.handlers.values():
        if any(isinstance(h, CommandHandler) and "stats" in h.commands for h in handlers):
            return
    handler = CommandHandler(
        "stats", ReportsDesk(runtime.services).on_stats, filters.ChatType.PRIVATE
    )
    app.handlers[0].insert(0, handler)  # ahead of the catch-all for unknown commands


async def ensure_schedule(desk: Desk) -> None:
    """The runtime has planned the daily digest."""
    runtime = desk.runtime
    assert runtime is not None and runtime.timer is not None
    assert runtime.timer.due_at("report:daily") is not None


def album_of(user: Any, fake: FakeBotApi, first: Any) -> list[bytes]:
    """The PNG files of the album that starts with ``first``."""
    group = first.media_group_id
    assert group is not None
    return [
        fake.bot().files.get(m.photos[-1]).data  # type: ignore[union-attr]
        for m in user.messages
        if m.media_group_id == group
    ]


async def test_stats_is_for_supervisors_only(desk: Desk, fake: FakeBotApi) -> None:
    ensure_stats(desk)
    owner, wang, li = fake.user(4101, language_code="en"), fake.user(WANG), fake.user(LI_SUP)
    z = zh(desk)
    row = await file_ticket(desk, owner)
    await owner.command("/stats")
    await expect(owner, Words(desk.settings, "en").t("refusal.not_staff"))
    await wang.command("/stats")
    await expect(wang, z.t("refusal.not_supervisor"))
    await li.command("/stats", "day")
    report = await expect(li, z.t("report.title", period="2026-11-26"), wait=15)
    text = report.text or ""
    assert (
        z.t("report.counts", opened=1, resolved=0, reopened=0, cancelled=0, escalations=0) in text
    )
    assert "工程维修部" in text  # his department, by name
    chart = await li.wait_for_message(lambda m: bool(m.photos), timeout=20)
    pictures = album_of(li, fake, chart)
    assert len(pictures) == 4 and all(p.startswith(PNG_SIGNATURE) for p in pictures)
    assert row["number"] not in text  # one ticket is no hot spot
    # A period it cannot read gets the usage, not a traceback.
    await li.command("/stats", "fortnight")
    await expect(li, z.t("report.usage"))
    # The environment supervisor sees only their department: nothing happened there.
    chen = fake.user(ENV_SUP)
    await chen.command("/stats", "week")
    week = await expect(chen, z.t("report.title", period="2026-11-23..2026-11-29"), wait=15)
    assert z.t("report.empty") in (week.text or "")


# --- the daily digest -------------------------------------------------------------------------


def digest_in(clock: ShiftedClock, seconds: float) -> Callable[[dict[str, Any]], None]:
    """A config whose daily digest is due ``seconds`` from the clock's now (local time)."""
    due = (clock() + timedelta(seconds=seconds)).astimezone(SHANGHAI)

    def edit(data: dict[str, Any]) -> None:
        data["reports"] = {
            "daily_digest": True,
            "weekly_report": False,
            "digest_time": due.strftime("%H:%M:%S"),
        }

    return edit


def yesterday_label(clock: ShiftedClock) -> str:
    local = clock().astimezone(SHANGHAI)
    return (local.date() - timedelta(days=1)).isoformat()


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def seed_yesterday(path: Path, clock: ShiftedClock) -> None:
    """A maintenance ticket from yesterday, accepted and resolved, so the digest has numbers."""
    created = clock() - timedelta(days=1)
    store = await Store.open(path)
    try:
        await store.query(
            "INSERT INTO tickets (id, number, owner_id, kind, category, department, estate,"
            " building, urgency, description, photos, language, status, assignee_id,"
            " created_at, updated_at, accept_due, resolve_due) VALUES (1, 'HV-SEED-0001', 4200,"
            " 'repair', 'lift', 'maintenance', 'harbour_view', '3', 'urgent', 'Lift stuck',"
            " '[]', 'en', 'closed', ?, ?, ?, ?, ?)",
            (
                WANG,
                _ts(created),
                _ts(created),
                _ts(created + timedelta(minutes=30)),
                _ts(created + timedelta(hours=24)),
            ),
        )
        for kind, minutes, actor in (
            ("created", 0, 4200),
            ("accepted", 10, WANG),
            ("resolved", 90, WANG),
        ):
            await store.query(
                "INSERT INTO ticket_events (ticket_id, at, kind, actor_id, data)"
                " VALUES (1, ?, ?, ?, ?)",
                (_ts(created + timedelta(minutes=minutes)), kind, actor, json.dumps({})),
            )
    finally:
        await store.close()


def digests(user: Any, title: str) -> list[Any]:
    """The digests a person got."""
    return [m for m in user.messages if title in (m.text or "")]


@sqlite_only
async def test_digest_goes_out_at_its_time_once(fake: FakeBotApi, tmp_path: Path) -> None:
    clock = ShiftedClock(DEFAULT_NOW)  # 10:00 in Shanghai, whatever the real time
    desk = Desk(fake, tmp_path, clock=clock, edit=digest_in(clock, 4))
    await seed_yesterday(desk.db_path, clock)
    await desk.start()
    try:
        await ensure_schedule(desk)
        z = zh(desk)
        title = z.t("report.daily_title", period=yesterday_label(clock))
        li, chen, wang = fake.user(LI_SUP), fake.user(ENV_SUP), fake.user(WANG)
        assert not digests(li, title)  # not before its time
        digest = await expect(li, title, wait=15)
        assert z.t(
            "report.counts", opened=1, resolved=1, reopened=0, cancelled=0, escalations=0
        ) in (digest.text or "")
        chart = await li.wait_for_message(lambda m: bool(m.photos), timeout=20)
        assert len(album_of(li, fake, chart)) == 4
        await expect(fake.user(ZHOU_ADMIN), title, wait=10)  # the admin sees everything
        await expect(chen, title, wait=10)  # the environment supervisor: an empty day
        rows = await desk.rows("SELECT value FROM counters WHERE name = 'report:daily'")
        assert rows == [{"value": int(yesterday_label(clock).replace("-", ""))}]
        await desk.restart()
        await ensure_schedule(desk)
        await asyncio.sleep(2)
        assert len(digests(li, title)) == 1 and len(digests(chen, title)) == 1
        assert not digests(wang, title)  # plain staff get no digest
    finally:
        await desk.stop()


async def test_digest_missed_while_down_goes_out_once_at_start(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    clock = ShiftedClock(DEFAULT_NOW)
    desk = Desk(fake, tmp_path, clock=clock, edit=digest_in(clock, 3))
    await desk.start()
    await ensure_schedule(desk)  # the first start only notes where the schedule begins
    await desk.stop()
    await asyncio.sleep(4)  # the due time passes while the bot is down
    await desk.start()  # the missed digest goes out at once
    try:
        title = zh(desk).t("report.daily_title", period=yesterday_label(clock))
        li = fake.user(LI_SUP)
        await expect(li, title, wait=10)
        await desk.restart()
        await ensure_schedule(desk)  # the next one, tomorrow
        await asyncio.sleep(1.5)
        assert len(digests(li, title)) == 1
    finally:
        await desk.stop()
