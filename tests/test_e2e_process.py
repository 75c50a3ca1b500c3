"""The bot as a real process: SIGKILL in the middle of a report, start again, carry on."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from tests.fakebot import FakeBotApi
from tests.harness import (
    ROOT,
    TOKEN,
    Words,
    database_url,
    expect,
    read_rows,
    register_staff,
    settings_for,
    sqlite_only,
)


async def _spawn(fake: FakeBotApi, db: Path, log: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.url,
        "DATABASE_PATH": str(db),
        # On a PostgreSQL run the test's database (the folder's, as the harness gives it) wins.
        "DATABASE_URL": database_url(db.parent) or "",
        "PTB_TIMEDELTA": "true",
    }
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
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


async def test_sigkill_mid_flow_then_restart_carries_on(fake: FakeBotApi, tmp_path: Path) -> None:
    db, log = tmp_path / "desk.sqlite3", tmp_path / "bot.log"
    settings = settings_for(fake, db)
    register_staff(fake, settings)
    w = Words(settings, "en")
    user = fake.user(3001, language_code="en")
    proc = await _spawn(fake, db, log)
    try:
        await user.command("/new")
        await expect(user, w.t("intake.ask_what"), wait=30)
        await user.send("Balcony door will not lock")
        card = await expect(user, w.t("intake.ask_estate"))
        proc.kill()  # SIGKILL: no clean shutdown, the last update may not be confirmed
        await proc.wait()
        proc = await _spawn(fake, db, log)
        await user.press(w.estate("emerald_lake"))
        shown = await user.wait_for_edit(card.message_id, timeout=30)
        assert w.t("intake.ask_building") in (shown.text or "")
        await user.press(w.building("emerald_lake", "D"))
        await user.wait_for_edit(card.message_id)
        await user.send("D-1203")
        shown = await user.wait_for_edit(card.message_id)
        assert w.t("intake.card_summary") in (shown.text or "")
        proc.kill()
        await proc.wait()
        proc = await _spawn(fake, db, log)
        await user.press(w.t("flow.btn_submit"))
        await expect(user, w.t("intake.ask_phone"), wait=30)
        await user.tap(w.t("flow.btn_skip"))
        confirmation = await expect(user, "HV-", wait=30)
        assert re.search(r"HV-\d{8}-0001", confirmation.text or "")
        # One card, edited in place across the kills: nothing was asked twice.
        assert [
            m.message_id for m in user.messages if m.buttons and "HV-" not in (m.text or "")
        ] == [], fake.dump(user.id)
        # SIGTERM stops it cleanly and quickly, delivering what is queued (the staff card).
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    url = database_url(tmp_path)
    tickets = await read_rows(db, url, "SELECT estate, building, unit, description FROM tickets")
    pending = await read_rows(db, url, "SELECT COUNT(*) AS n FROM outbox WHERE status != 'sent'")
    assert [tuple(t.values()) for t in tickets] == [
        ("emerald_lake", "D", "D-1203", "Balcony door will not lock")
    ]
    assert pending == [{"n": 0}]
    text = log.read_text(encoding="utf-8")
    assert TOKEN not in text and "Traceback" not in text


@sqlite_only  # on PostgreSQL a second instance joins as a replica (tests/test_replicas.py)
async def test_second_instance_on_the_same_database_refuses(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    db, log = tmp_path / "desk.sqlite3", tmp_path / "bot.log"
    first = await _spawn(fake, db, log)
    try:
        user = fake.user(3002, language_code="en")
        await user.command("/help")
        await user.wait_for_message(timeout=30)  # the first one is up and polling
        second = await _spawn(fake, db, tmp_path / "second.log")
        assert await asyncio.wait_for(second.wait(), 30) == 3
        said = (tmp_path / "second.log").read_text(encoding="utf-8")
        assert "already running" in said and "Traceback" not in said
    finally:
        first.kill()
        await first.wait()
