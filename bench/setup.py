"""The benchmark's configuration (config.yaml with a 24/7 roster) and the bot under test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

from bench.people import Inbox, wait_until
from bench.pg import Db
from bench.procs import ROOT, Child
from bot.config import Settings, load_settings, read_yaml
from bot.texts import Catalog, default_catalog
from tests.fakebot import FakeBotApi

TOKENS = {
    "intake": "100001:BENCH-intake",
    "echo": "100002:BENCH-echo",
    "scale": "100003:BENCH-scale",
    "fanout": "100004:BENCH-fanout",
    "echo_aiohttp": "100005:BENCH-echo-aiohttp",
}


def write_bench_config(
    source: Path,
    folder: Path,
    *,
    messages_per_second: float | None = None,
    chat_messages_per_second: float | None = None,
    name: str = "bench-config.yaml",
) -> Path:
    """config.yaml with every department on duty around the clock (so routing always finds
    someone) and no roster exceptions (and, if given, the bot's overall pace and its pace per
    private chat); written to ``folder`` and returned."""
    data: dict[str, Any] = read_yaml(source)
    if messages_per_second is not None:
        data.setdefault("telegram", {})["messages_per_second"] = messages_per_second
    if chat_messages_per_second is not None:
        data.setdefault("telegram", {})["chat_messages_per_second"] = chat_messages_per_second
    staff = data.get("staff") or []
    data["roster"] = [
        {
            "department": dept["id"],
            "staff": [s["telegram_id"] for s in staff if dept["id"] in (s.get("departments") or [])]
            or [dept["fallback"]],
        }
        for dept in data.get("departments") or []
    ]
    data["roster_exceptions"] = []
    target = folder / name
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def load_bench_settings(config: Path, fake: FakeBotApi, token: str, db: Db) -> Settings:
    """The settings the bot process will see."""
    return load_settings(config, env=bot_env(fake, token, db))


def bot_env(fake: FakeBotApi, token: str, db: Db) -> dict[str, str]:
    """The environment of a bot process pointed at the fake and a database (an SQLite file,
    or a PostgreSQL URL)."""
    where = {"DATABASE_URL": db} if isinstance(db, str) else {"DATABASE_PATH": str(db)}
    return {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": fake.url,
        **where,
        "PTB_TIMEDELTA": "true",
        "PYTHONUNBUFFERED": "1",
    }


def register_desk(inbox: Inbox, settings: Settings) -> None:
    """Staff have opened the bot and the department groups have it as a member."""
    for member in settings.staff:
        inbox.user(member.telegram_id, first_name=member.name, language_code="zh-hans")
    for dept in settings.departments:
        if dept.group_chat_id is not None:
            inbox.group(dept.group_chat_id, f"{dept.id} team")


def bot_child(config: Path, env: dict[str, str], log: Path) -> Child:
    """``python -m bot run --config <bench config>`` as a child process."""
    return Child("bot", ["run", "--config", str(config), "--flows", str(ROOT / "flows")], env, log)


def echo_child(env: dict[str, str], log: Path) -> Child:
    """The bare PTB echo bot as a child process."""
    return Child("bench.echo_bot", [], env, log)


async def start_and_wait_polling(
    child: Child,
    fake: FakeBotApi,
    timeout: float,  # noqa: ASYNC109
    after_spawn: Callable[[], Awaitable[object]] | None = None,
) -> dict[str, float | None]:
    """Start a bot process; seconds until its getMe and its first getUpdates reach the fake
    (None for what did not happen within ``timeout`` or before the process died).
    ``after_spawn`` runs right after the process exists (to attach a profiler)."""
    calls = fake.stats.calls
    base_me, base_poll = calls["getMe"], calls["getUpdates"]
    await child.start()
    if after_spawn is not None:
        await after_spawn()
    loop_time = asyncio.get_running_loop().time
    seen: dict[str, float | None] = {"getMe": None, "getUpdates": None}

    def probe() -> bool:
        now = loop_time() - child.started_at
        if seen["getMe"] is None and calls["getMe"] > base_me:
            seen["getMe"] = now
        if seen["getUpdates"] is None and calls["getUpdates"] > base_poll:
            seen["getUpdates"] = now
        return seen["getUpdates"] is not None or not child.alive()

    await wait_until(probe, timeout, every=0.002)
    return seen


class Labels:
    """What an English-speaking owner reads on the buttons and in the questions."""

    def __init__(self, settings: Settings, lang: str = "en") -> None:
        self.settings = settings
        self.lang = lang
        self.catalog: Catalog = default_catalog()

    def t(self, key: str, **params: Any) -> str:
        """A catalog text."""
        return self.catalog.text(self.lang, key, **params)

    def name(self, local: Any) -> str:
        """A config name in this language."""
        return self.settings.text(local, self.lang)
