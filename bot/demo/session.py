"""One demo: the emulator, the real bot on a demo database, the demo clock, and the people."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from bot.clock import ShiftedClock, utc_now
from bot.config import Settings, apply_env_overrides, expand_env, read_yaml, settings_from_data
from bot.core.calendars import Calendars
from bot.core.flow import Flow
from bot.core.models import Person
from bot.demo.personas import TELEGRAM_LANGUAGE, Persona, department_of_demo, personas
from bot.demo.safety import check_database, mark_database
from bot.emulator import FakeBotApi
from bot.emulator.user import Actor
from bot.tg.runtime import BotRuntime, RuntimeOptions

log = logging.getLogger(__name__)

# Shaped like a token so PTB accepts it; the emulator takes any token and no Telegram knows it.
DEMO_TOKEN = "1000000001:DEMO-estatedesk-emulator-not-a-real-token"
START_HOUR = time(10, 0)  # the demo opens mid-morning on a working day: staff on duty


def first_working_morning(settings: Settings, now: datetime) -> datetime:
    """10:00 local on the first working day on or after ``now``'s date (the demo's start)."""
    local = now.astimezone(settings.tz)
    calendar = Calendars(settings, (local.year, local.year + 1)).of(department_of_demo(settings))
    day = local.date()
    for _ in range(30):
        if calendar.is_working_day(day):
            break
        day += timedelta(days=1)
    return datetime.combine(day, START_HOUR, tzinfo=settings.tz)


def demo_settings(config: Path, api_url: str, db_path: Path) -> Settings:
    """config.yaml pointed at the emulator and the demo database, whatever the environment."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
        "TELEGRAM_API_BASE_URL": api_url,
        "DATABASE_PATH": str(db_path),
        "DATABASE_URL": "",
    }
    data = apply_env_overrides(expand_env(read_yaml(config), env), env)
    telegram = data.setdefault("telegram", {})
    # Nobody is flooded in a demo: each answer appears at once instead of after a pause.
    telegram["messages_per_second"] = 1000
    telegram["chat_messages_per_second"] = 100
    telegram["group_messages_per_minute"] = 6000
    return settings_from_data(data, str(config))


def remove_database(path: Path) -> None:
    """Delete a demo database and SQLite's side files (only ever called on a marked one)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass
class DemoOptions:
    """What ``python -m bot demo`` was asked for."""

    config: Path
    flows: dict[str, Flow]
    lang: str
    db_path: Path
    start: datetime | None = None  # None: the first working morning from today
    now: Callable[[], datetime] = utc_now  # only to pick the start day
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)


class DemoSession:
    """Starts, fast-forwards, resets and stops one demo desk."""

    def __init__(self, options: DemoOptions, settings: Settings) -> None:
        self.options = options
        self.lang = options.lang
        self.start_at = options.start or first_working_morning(settings, options.now())
        self.clock = ShiftedClock(self.start_at)
        self.emulator: FakeBotApi | None = None
        self.runtime: BotRuntime | None = None
        self.settings = settings
        self.people: list[Persona] = []
        self.generation = 0  # bumped by reset: the page drops what it showed
        self._resetting = asyncio.Lock()  # two Reset clicks: one reset after the other

    async def start(self) -> None:
        """Start the emulator and the real bot on the (marked) demo database."""
        check_database(self.options.db_path)
        mark_database(self.options.db_path)
        port = self.emulator.port if self.emulator is not None else 0
        emulator = FakeBotApi(clock=self.clock)
        await emulator.start(port)
        self.emulator = emulator
        self.settings = demo_settings(self.options.config, emulator.url, self.options.db_path)
        self.people = personas(self.settings, self.lang)
        for member in self.settings.staff:  # staff have opened the bot, as in real life
            emulator.user(
                member.telegram_id,
                first_name=member.name,
                language_code=self._code(member.telegram_id),
            )
        for persona in self.people:
            if persona.user_id is not None:
                emulator.user(persona.user_id, persona.name, language_code=persona.language_code)
        for dept in self.settings.departments:
            if dept.group_chat_id is not None:
                emulator.group(dept.group_chat_id, self.settings.text(dept.name, self.lang))
        options = self.options.runtime
        self.runtime = BotRuntime(
            self.settings,
            self.options.flows,
            RuntimeOptions(
                clock=self.clock,
                poll_timeout=options.poll_timeout,
                outbox_idle=options.outbox_idle,
                timer_nap=options.timer_nap,
            ),
        )
        try:
            await self.runtime.start()
            await self._staff_opened_the_bot()
        except BaseException:
            await self.stop()
            self.runtime = None
            raise

    async def _staff_opened_the_bot(self) -> None:
        """Record the staff's Telegram profiles, as the bot did when each of them opened it:
        their cards then speak the person's language from the first one on."""
        runtime = self.runtime
        assert runtime is not None and runtime.store is not None
        for member in self.settings.staff:
            person = Person(
                member.telegram_id,
                member.name,
                language_code=self._code(member.telegram_id),
            )
            await runtime.store.upsert_person(person, self.clock())

    def _code(self, staff_id: int) -> str:
        member = self.settings.staff_member(staff_id)
        lang = (member.language if member else None) or self.lang
        return TELEGRAM_LANGUAGE.get(lang, "en")

    async def stop(self) -> None:
        """Stop the bot, then the emulator."""
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None
        if self.emulator is not None:
            await self.emulator.stop()

    async def reset(self) -> None:
        """Start over: an empty demo database, the clock back at the start, empty chats."""
        async with self._resetting:
            await self.stop()
            remove_database(self.options.db_path)
            self.clock = ShiftedClock(self.start_at)
            self.generation += 1
            await self.start()
        log.info("demo: started over (reset %d)", self.generation)

    @property
    def running(self) -> bool:
        """True while the bot runs (not while it starts, resets or stops)."""
        return self.runtime is not None and self.runtime.store is not None

    def advance(self, minutes: int) -> None:
        """Fast-forward the demo clock; deadlines, surveys and digests follow at once."""
        self.clock.advance(minutes=minutes)
        if self.emulator is not None:
            self.emulator.bot().touch()  # the page hears of the new time

    def persona(self, key: str) -> Persona | None:
        """A persona by its key."""
        return next((p for p in self.people if p.key == key), None)

    def actor(self, persona: Persona, member: Persona | None = None) -> Actor:
        """Who types and taps: the person in their private chat, or a member in the group."""
        emulator = self.need_emulator()
        if persona.user_id is not None:
            return emulator.user(persona.user_id, persona.name)
        if member is None or member.user_id is None:
            raise ValueError("a member of the group is needed to act in it")
        group = emulator.group(persona.chat_id)
        return group.member(emulator.user(member.user_id, member.name))

    def need_emulator(self) -> FakeBotApi:
        """The running emulator."""
        if self.emulator is None:
            raise RuntimeError("the demo is not running")
        return self.emulator

    def now_local(self) -> datetime:
        """The demo clock in the company's timezone."""
        return self.clock().astimezone(self.settings.tz)
