"""Webhook mode: Telegram pushes each update to the replicas round robin, repeats some, and
someone posts with a wrong secret. Nothing is handled twice and every wrong secret is refused.

Telegram's side is played here by ``push``: it takes the fake server's pending updates in
order and POSTs each to the next replica's listener, as Telegram does behind a load
balancer; an update is forgotten only after a 200 (Telegram redelivers otherwise).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bot.loading import load_all
from bot.tg.runtime import BotRuntime, CannotStart, RuntimeOptions
from bot.tg.webhook import SECRET_HEADER
from tests.fakebot import FakeBotApi
from tests.harness import ROOT, FakeClock, Words, expect, register_staff, settings_for
from tests.pg import pg_server, pg_url  # noqa: F401

SECRET = "s3cret_Token-42"
URL = "https://desk.example.com/telegram"


def _webhook(data: dict[str, Any]) -> None:
    telegram = data.setdefault("telegram", {})
    telegram["webhook"] = {"url": URL, "listen": "127.0.0.1:0", "max_body": 4096}
    telegram["webhook_secret"] = SECRET


class Pusher:
    """Telegram's pushing, round robin; every 4th update twice, every 5th first unsigned."""

    def __init__(self, fake: FakeBotApi, urls: list[str]) -> None:
        self.fake, self.urls = fake, urls
        self.posts = self.repeats = self.wrong = self.refused = 0
        self._next = 0

    async def post(
        self, session: aiohttp.ClientSession, update: dict[str, Any], secret: str
    ) -> int:
        url = self.urls[self._next % len(self.urls)]
        self._next += 1
        self.posts += 1
        async with session.post(url, json=update, headers={SECRET_HEADER: secret}) as answer:
            return answer.status

    async def run(self, stop: asyncio.Event) -> None:
        state = self.fake.bot()
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                batch = state.take(100)
                if not batch:
                    await asyncio.sleep(0.02)
                    continue
                for update in batch:
                    uid = update["update_id"]
                    if uid % 5 == 0:
                        self.wrong += 1
                        if await self.post(session, update, "not-the-secret") == 403:
                            self.refused += 1
                    for _ in range(50):  # Telegram retries until it gets a 200
                        if await self.post(session, update, SECRET) == 200:
                            break
                        await asyncio.sleep(0.1)
                    else:
                        raise AssertionError(f"update {uid} was never taken")
                    if uid % 4 == 0:  # as after a timeout: delivered again, elsewhere
                        self.repeats += 1
                        assert await self.post(session, update, SECRET) == 200
                    state.confirm(uid + 1)


async def test_pushed_round_robin_with_repeats_and_wrong_secrets(
    fake: FakeBotApi,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = settings_for(fake, tmp_path / "unused.sqlite3", db_url=pg_url, edit=_webhook)
    register_staff(fake, settings)
    _, flows = load_all(ROOT / "config.yaml")
    options = RuntimeOptions(clock=FakeClock(), poll_timeout=1.0, outbox_idle=0.05, timer_nap=0.05)
    replicas = [BotRuntime(settings, flows, options) for _ in range(2)]
    for replica in replicas:
        await replica.start()
    stop = asyncio.Event()
    try:
        hooked = fake.webhook
        assert hooked is not None and hooked["url"] == URL
        assert hooked["secret_token"] == SECRET and hooked["drop_pending_updates"] in (
            False,
            "false",
        )
        assert not any(c.method == "getUpdates" for c in fake.calls)  # nobody polls
        ports = [r.webhook.port for r in replicas if r.webhook is not None]
        pusher = Pusher(fake, [f"http://127.0.0.1:{p}/telegram" for p in ports])
        pushing = asyncio.create_task(pusher.run(stop))
        w = Words(settings, "en")
        users = [fake.user(5100 + i, language_code="en") for i in range(6)]
        for user in users:
            await user.command("/new")
        for user in users:
            await expect(user, w.t("intake.ask_category"), wait=10)
            await user.press(w.category("home_repair"))
        for user in users:
            await expect(user, w.t("intake.ask_subcategory"), wait=10)
            await user.press(w.sub("home_repair", "doors_windows"))
        for user in users:
            await expect(user, w.t("intake.ask_where"), wait=10)
        await asyncio.sleep(0.5)  # a repeat still on its way would show as a second answer
        for user in users:
            asked = [m.text for m in user.messages if m.text]
            assert sum(1 for t in asked if w.t("intake.ask_category") in t) == 1, asked
            assert sum(1 for t in asked if w.t("intake.ask_where") in t) == 1, asked
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{ports[0]}"
            headers = {SECRET_HEADER: SECRET}
            async with session.post(f"{base}/telegram", data="x" * 5000, headers=headers) as big:
                assert big.status == 413
            async with session.post(f"{base}/telegram", data="{not json", headers=headers) as bad:
                assert bad.status == 400
            async with session.post(f"{base}/telegram", json={"update_id": 1}) as unsigned:
                assert unsigned.status == 403
            async with session.get(f"{base}/healthz") as health:
                report = json.loads(await health.text())
                assert health.status == 200 and report["role"] == "worker" and report["ok"]
        stop.set()
        await pushing
        counted = sum(r.webhook.refused for r in replicas if r.webhook is not None)
        assert counted == pusher.wrong + 1  # and the unsigned one above
    finally:
        stop.set()
        for replica in replicas:
            await replica.stop()
    assert pusher.wrong > 0 and pusher.refused == pusher.wrong
    assert pusher.repeats > 0
    conn = await asyncpg.connect(pg_url)
    try:
        stored = await conn.fetchval("SELECT COUNT(*) FROM inbox")
        handled = await conn.fetchval("SELECT COUNT(*) FROM handled_updates")
        pending = await conn.fetchval("SELECT COUNT(*) FROM inbox WHERE status = 'pending'")
    finally:
        await conn.close()
    assert stored == handled == 18 and pending == 0  # 6 × (/new, press, press), once each


async def test_webhook_mode_on_sqlite_refuses_to_start(fake: FakeBotApi, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path / "desk.sqlite3", edit=_webhook)
    _, flows = load_all(ROOT / "config.yaml")
    runtime = BotRuntime(settings, flows, RuntimeOptions(clock=FakeClock()))
    try:
        await runtime.start()
    except CannotStart as exc:
        assert "needs PostgreSQL" in str(exc)
    else:
        await runtime.stop()
        raise AssertionError("started a webhook bot on SQLite")


def test_webhook_config_errors_name_key_and_value(fake: FakeBotApi, tmp_path: Path) -> None:
    from bot.config.load import ConfigError

    def plain_http(data: dict[str, Any]) -> None:
        _webhook(data)
        data["telegram"]["webhook"]["url"] = "http://desk.example.com/telegram"

    def no_secret(data: dict[str, Any]) -> None:
        _webhook(data)
        data["telegram"]["webhook_secret"] = ""

    def bad_listen(data: dict[str, Any]) -> None:
        _webhook(data)
        data["telegram"]["webhook"]["listen"] = "8443"

    said = []
    for edit in (plain_http, no_secret, bad_listen):
        try:
            settings_for(fake, tmp_path / "desk.sqlite3", edit=edit)
        except ConfigError as exc:
            said.append("\n".join(exc.errors))
        else:
            raise AssertionError(f"{edit.__name__} was accepted")
    assert "telegram.webhook.url" in said[0] and "http://desk.example.com" in said[0]
    assert "TELEGRAM_WEBHOOK_SECRET" in said[1]
    assert "telegram.webhook.listen" in said[2] and "'8443'" in said[2]
