"""The polling replica hangs (SIGSTOP): another polls within 10 s, and the hung one, woken,
stops polling instead of fighting over getUpdates."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.fakebot import FakeBotApi
from tests.harness import Words, expect, register_staff, settings_for
from tests.pg import pg_server, pg_url  # noqa: F401
from tests.test_replicas_e2e import Replica, _value, short_deadlines

HOLDER = "SELECT holder FROM leases WHERE name = 'poller' AND expires_at > now()"


async def test_a_hung_poller_is_replaced_and_steps_down_when_it_wakes(
    fake: FakeBotApi,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = short_deadlines(tmp_path)
    settings = settings_for(fake, tmp_path / "unused.sqlite3", config)
    register_staff(fake, settings)
    replicas = [Replica(fake, pg_url, config, tmp_path / f"r{i}.log") for i in range(2)]
    ids = {}
    try:
        for replica in replicas:
            await replica.start()
            ids[await replica.started()] = replica
        for _ in range(50):
            if (holder := await _value(pg_url, HOLDER)) in ids:
                break
            await asyncio.sleep(0.1)
        hung = ids[holder]
        assert hung.proc is not None
        hung.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        while (now_holder := await _value(pg_url, HOLDER)) in (None, holder):
            assert time.monotonic() - stopped < 10, "nobody took over from the hung poller"
            await asyncio.sleep(0.1)
        taken = time.monotonic() - stopped
        user = fake.user(8_500_001, language_code="en")
        await user.command("/help")
        await user.wait_for_message(timeout=10)  # the other one polls and answers
        hung.proc.send_signal(signal.SIGCONT)
        for _ in range(100):
            if "stops polling" in hung.text():
                break
            await asyncio.sleep(0.1)
        assert "stops polling" in hung.text(), hung.text()[-2000:]
        await asyncio.sleep(3)
        assert await _value(pg_url, HOLDER) == now_holder  # it did not take the lease back
        w = Words(settings, "en")
        await user.command("/new")
        await expect(user, w.t("intake.ask_category"), wait=10)
        print(f"\nhung poller replaced after {taken:.1f}s")
    finally:
        for replica in replicas:
            if replica.proc is not None and replica.proc.returncode is None:
                replica.proc.send_signal(signal.SIGCONT)
        codes = [await r.terminate() for r in replicas]
    assert codes == [0, 0], codes
