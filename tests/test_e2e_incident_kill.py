"""The all-clear survives SIGKILL: the bot process dies while sending it to the waiting owners
and, started again, tells the rest — every subscriber reads it exactly once."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from bot.core.incidents import Incident
from bot.store.open import open_storage
from tests.fakebot import FakeBotApi
from tests.harness import (
    DEFAULT_NOW,
    ROOT,
    TOKEN,
    Words,
    database_url,
    expect,
    read_rows,
    register_staff,
    settings_for,
)

WANG = 7034518826  # maintenance staff, harbour_view
SUBSCRIBERS = 12
CLEAR = "已恢复供水（测试）"


async def _spawn(config: Path, fake: FakeBotApi, db: Path, log: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.url,
        "DATABASE_PATH": str(db),
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
            str(config),
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )


def _slow_config(tmp_path: Path) -> Path:
    """The shipped config sending 3 messages a second overall, so the all-clear to a dozen
    owners takes seconds and a kill lands in the middle of it (between two sends)."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert "messages_per_second: 28" in text
    config = tmp_path / "config.yaml"
    config.write_text(text.replace("messages_per_second: 28", "messages_per_second: 3"))
    (tmp_path / "flows").symlink_to(ROOT / "flows")
    return config


async def _sent_all_clears(db: Path, url: str | None) -> int:
    rows = await read_rows(
        db, url, "SELECT payload FROM outbox WHERE status = 'sent' AND chat_id >= 90000"
    )
    return sum(CLEAR in str(r["payload"]) for r in rows)


async def test_sigkill_while_sending_the_all_clear_tells_each_subscriber_once(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    db, log = tmp_path / "desk.sqlite3", tmp_path / "bot.log"
    config = _slow_config(tmp_path)
    settings = settings_for(
        fake, db, config=config, telegram_pace=True, db_url=database_url(tmp_path)
    )
    register_staff(fake, settings)
    url = database_url(tmp_path)
    # Set-up as earlier days left it: an open incident in 3栋 and a dozen owners waiting.
    store = await open_storage(settings)
    try:
        now = DEFAULT_NOW
        incident = await store.declare_incident(
            Incident(
                estate="harbour_view",
                buildings=("3",),
                common_areas=True,
                category="water_power",
                subcategory=None,
                department="maintenance",
                texts={"zh-Hans": "停水"},
                started_at=now,
                eta=now + timedelta(days=3650),  # still ahead under faketime years later
                declared_by=WANG,
            ),
            [],
            now,
        )
        for n in range(SUBSCRIBERS):
            assert await store.subscribe(incident.id, 90_000 + n, now)
    finally:
        await store.close()
    owners = [fake.user(90_000 + n, language_code="zh-hans") for n in range(SUBSCRIBERS)]
    w = Words(settings, "zh-Hans")
    wang = fake.user(WANG)
    proc = await _spawn(config, fake, db, log)
    try:
        await wang.command("/incident")
        await expect(wang, w.t("incident.declare_more"), wait=30)
        await wang.press(w.t("incident.btn_all_clear"))
        await expect(wang, w.t("incident.ask_all_clear"), wait=10)
        await wang.send(CLEAR)
        await expect(wang, w.t("incident.ask_translations").splitlines()[0], wait=10)
        await wang.press(w.t("flow.btn_skip"))
        # Killed once a few owners have it: the sent ones are on record, the rest pending.
        deadline = time.monotonic() + 60
        while await _sent_all_clears(db, url) < 3:
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")[-3000:]
            await asyncio.sleep(0.02)
        proc.kill()
        await proc.wait()
        told = sum(any(CLEAR in (m.text or "") for m in o.messages) for o in owners)
        assert 3 <= told < SUBSCRIBERS  # really in the middle
        proc = await _spawn(config, fake, db, log)
        deadline = time.monotonic() + 60
        while await _sent_all_clears(db, url) < SUBSCRIBERS:
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")[-3000:]
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # room for a (wrong) second copy to arrive
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    for owner in owners:
        texts = [m.text or "" for m in owner.messages]
        assert sum(CLEAR in t for t in texts) == 1, (owner.id, texts)
    rows = await read_rows(db, url, "SELECT status FROM incidents")
    assert [r["status"] for r in rows] == ["closed"]
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and TOKEN not in text
