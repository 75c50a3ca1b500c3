"""Many owners at once while Telegram misbehaves: 5xx, slow answers, 429s, real flood limits.

The owners here are tolerant, as people are: when the bot stays silent (its reply was lost to
an injected fault) they wait a little, then send /new and carry on with "Continue my report".
What must hold afterwards: every ticket number shown exists exactly once, nobody got two
tickets, every queued message is delivered, each owner saw the questions in order and the
confirmation last, and the bot's own pacing never ran into Telegram's flood limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ShiftedClock
from tests.fakebot import BotMessage, FakeBotApi, FakeUser, RateLimits
from tests.harness import DEFAULT_NOW, Desk, Words, expect

TICKET_NUMBER = re.compile(r"\b[A-Z]{1,8}-\d{8}-\d{4}\b")
# The intake questions in the order an owner reporting a problem in their flat meets them
# (the card asks only what its guesses from the description leave open).
STEPS = (
    "description",
    "category",
    "subcategory",
    "urgency",
    "place",
    "estate",
    "building",
    "unit",
    "summary",
    "phone",
)
_PROMPTS = {
    "description": "intake.ask_what",
    "category": "intake.ask_category",
    "subcategory": "intake.ask_subcategory",
    "urgency": "intake.ask_urgency",
    "place": "intake.ask_place",
    "estate": "intake.ask_estate",
    "building": "intake.ask_building",
    "unit": "intake.ask_unit",
    "phone": "intake.ask_phone",
}
UNFINISHED = "unfinished"  # "You have a report that is not finished yet" (after a nudge)
CONFIRMATION = "confirmation"  # the ticket number


@dataclass(frozen=True)
class Report:
    """What one owner reports (a problem in their own flat)."""

    description: str
    unit: str = "1502"
    category: str = "water_power"
    sub: str | None = "no_water"
    estate: str = "harbour_view"
    building: str = "3"
    urgency: str = "emergency"
    photo: bool = False


@dataclass
class Filing:
    """How one owner's report went, as they saw it."""

    owner: FakeUser
    report: Report
    number: str | None = None
    nudges: int = 0
    actions: int = 0
    updates: list[int] = field(default_factory=list)
    seconds: float = 0.0  # from /new to the ticket number (or to giving up)


class Questions:
    """Recognises the intake's questions in a bot message, in one language."""

    def __init__(self, words: Words, photos_max: int) -> None:
        self.w = words
        self.prompts = {step: words.t(key) for step, key in _PROMPTS.items()}
        self.summary = words.t("intake.card_summary")
        self.unfinished = words.t("flow.unfinished")

    def kind(self, text: str | None) -> str | None:
        """The step a message asks for, ``unfinished``, ``confirmation``, or None."""
        if not text:
            return None
        if TICKET_NUMBER.search(text):
            return CONFIRMATION
        if self.unfinished in text:
            return UNFINISHED
        if self.summary in text:
            return "summary"
        for step, prompt in self.prompts.items():
            if prompt in text:
                return step
        return None


class TolerantOwner:
    """An owner who answers the newest question and, after silence, nudges with /new."""

    def __init__(
        self,
        user: FakeUser,
        words: Words,
        report: Report,
        rng: random.Random,
        *,
        photos_max: int = 5,
        think: tuple[float, float] = (0.9, 1.4),
        patience: float = 5.5,
    ) -> None:
        self.user = user
        self.w = words
        self.q = Questions(words, photos_max)
        self.report = report
        self.rng = rng
        self.think = think
        self.patience = patience
        self.filing = Filing(user, report)
        self._versions: dict[int, int] = {}  # message id → edits seen (the card is edited)

    async def _pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think))

    def _note(self, update: dict[str, Any]) -> None:
        self.filing.actions += 1
        self.filing.updates.append(int(update["update_id"]))

    def _changed(self) -> list[BotMessage]:
        """Bot messages sent or edited since last look."""
        changed = []
        for msg in self.user.chat.bot_messages():
            if self._versions.get(msg.message_id, -1) < len(msg.edits):
                self._versions[msg.message_id] = len(msg.edits)
                changed.append(BotMessage.from_stored(msg))
        return changed

    async def _fresh(self, timeout: float) -> list[BotMessage]:  # noqa: ASYNC109
        """The bot messages sent or edited since last look (waiting up to ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = self._changed()
            if first:
                await asyncio.sleep(0.15)  # a reply often comes as an edit plus a new message
                return [*first, *self._changed()]
            await asyncio.sleep(0.05)
        return []

    async def nudge(self) -> None:
        """Silence: ask again with /new (the bot offers to continue the report)."""
        self.filing.nudges += 1
        await self._pause()
        self._note(await self.user.command("/new"))

    async def file(self, within: float = 45.0) -> Filing:
        """Go through the whole report; returns what happened (number None: never confirmed)."""
        start = time.monotonic()
        deadline = start + within
        self._changed()  # what is already there is not news
        await self._pause()
        self._note(await self.user.command("/new"))
        asked = time.monotonic()
        summary: BotMessage | None = None
        while time.monotonic() < deadline:
            remaining = deadline - time.monotonic()
            fresh = await self._fresh(min(self.patience * (2 if summary else 1), remaining))
            number = next((m for t in [self._numbers(fresh)] for m in t), None)
            if number is not None:
                self.filing.number = number
                break
            if not fresh:
                if summary is None:
                    await self.nudge()
                elif self._has_button(summary.message_id, self.w.t("flow.btn_submit")):
                    # Still showing Submit: the press was lost; press it again.
                    await self._pause()
                    # The number may come meanwhile and take the buttons with it.
                    with contextlib.suppress(AssertionError):
                        self._note(
                            await self.user.press(
                                self.w.t("flow.btn_submit"), message_id=summary.message_id
                            )
                        )
                continue
            target = next((m for m in reversed(fresh) if self._actionable(m)), None)
            if target is None:
                if any(self.w.t("error.generic") in (m.text or "") for m in fresh):
                    # "Something went wrong, try again" — also after Submit, when the phone
                    # question could not be sent: /new offers to continue at that step.
                    await self.nudge()
                continue
            kind = self.q.kind(target.text)
            if summary is not None and kind not in ("summary", "phone", UNFINISHED):
                continue  # submitted: only the confirmation is awaited now
            try:
                await self._pause()
                await self._answer(kind, target)
            except AssertionError:  # the buttons went away meanwhile: look again
                continue
            if kind == "summary":
                summary = target
        self.filing.seconds = time.monotonic() - asked
        return self.filing

    def _actionable(self, msg: BotMessage) -> bool:
        kind = self.q.kind(msg.text)
        return kind in ("unit", "description", "phone") or (kind is not None and bool(msg.buttons))

    def _numbers(self, messages: Sequence[BotMessage]) -> list[str]:
        return [n for m in messages for n in TICKET_NUMBER.findall(m.text or "")]

    def _has_button(self, message_id: int, label: str) -> bool:
        msg = self.user.chat.find(message_id)
        return msg is not None and any(text == label for row in msg.buttons for text, _ in row)

    async def _answer(self, kind: str | None, msg: BotMessage) -> None:
        w, r, user = self.w, self.report, self.user
        press = {
            UNFINISHED: w.t("flow.btn_continue"),
            "category": w.category(r.category),
            "place": w.t("intake.place_new_unit"),
            "estate": w.estate(r.estate),
            "building": w.building(r.estate, r.building),
            "urgency": w.urgency(r.urgency),
            "summary": w.t("flow.btn_submit"),
        }
        if r.sub is not None:
            press["subcategory"] = w.sub(r.category, r.sub)
        if kind == "unit":
            self._note(await user.send(r.unit))
        elif kind == "description":
            if r.photo:  # a photo with the description as its caption
                self._note(await user.send_photo(caption=r.description))
            else:
                self._note(await user.send(r.description))
        elif kind == "phone":
            self._note(await user.tap(w.t("flow.btn_skip")))
        elif kind in press:
            self._note(await user.press(press[kind], message_id=msg.message_id))


def steps_seen(fake: FakeBotApi, chat_id: int, questions: Questions) -> list[tuple[int, str]]:
    """(message id, kind) of every bot message in a chat as first sent (before any edit)."""
    seen = []
    for msg in fake.chat_messages(chat_id, include_deleted=True):
        if not msg.from_bot:
            continue
        # The card is one message edited in place: every version of it counts.
        for text in [*(e.old_text for e in msg.edits), msg.text]:
            kind = questions.kind(text)
            if kind is not None and kind != UNFINISHED and (msg.message_id, kind) not in seen:
                seen.append((msg.message_id, kind))
    return seen


def assert_in_order(seen: list[tuple[int, str]], who: object) -> None:
    """Questions never go backwards, and the confirmation comes after the last question."""
    order = [*STEPS, CONFIRMATION]
    ranks = [order.index(kind) for _, kind in seen]
    assert ranks == sorted(ranks), f"{who}: questions out of order: {[k for _, k in seen]}"
    assert ranks and ranks[-1] == order.index(CONFIRMATION), f"{who}: {seen}"
    assert {"description", "summary"} <= {k for _, k in seen}, f"{who}: {seen}"


Rows = Callable[..., Awaitable[list[dict[str, Any]]]]


async def outbox_all_sent(rows_of: Rows, within: float) -> list[dict[str, Any]]:
    """Wait until every outbox row is 'sent'; returns the rows that are not (empty: all sent).

    ``within`` seconds, plus 3.5 s for each message still queued for a group: Telegram takes
    20 a minute per group, so a staff group's queue can only drain that fast."""
    unsent = "SELECT id, chat_id, status, attempts, last_error FROM outbox WHERE status != 'sent'"
    rows = await rows_of(unsent)
    deadline = time.monotonic() + within + 3.5 * sum(1 for r in rows if r["chat_id"] < 0)
    while rows and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        rows = await rows_of(unsent)
    return rows


OWNERS = 30
PLACES = [
    ("harbour_view", "3"),
    ("harbour_view", "5"),
    ("emerald_lake", "B"),
    ("emerald_lake", "D"),
]
# What a busy morning brings: repairs for the maintenance team (and its staff group), and
# complaints for cleaning, security and customer service. (category, subcategory, urgency)
MIX = [
    ("water_power", "no_water", "emergency"),
    ("cleaning", None, "routine"),
    ("noise", None, "routine"),
    ("home_repair", "damp_leak", "urgent"),
    ("parking", None, "urgent"),
    ("fees", None, "routine"),
    ("security", None, "urgent"),
    ("neighbours", None, "routine"),
]
OUTBOX_WAIT = 10.0
# From /new to the ticket number, for the slowest of 30 owners. A person needs ten steps of
# about a second each to think; the bot's share must stay small even with a 5xx in ten, a few
# forced 429s and answers held past PTB's timeout (measured figures: see the printed line).
SLOWEST_OWNER = 45.0


async def test_many_owners_under_faults(
    fake: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """30 owners at once against Telegram's limits, 10 % 5xx: every ticket exactly once, no
    flood 429 of our own making, and nobody waits long for their number."""
    slowest = await many_owners(fake, tmp_path, caplog, OWNERS)
    assert slowest < SLOWEST_OWNER


@pytest.mark.slow
async def test_twice_as_many_owners_under_faults(
    fake: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The same with 60 owners: past the overall limit of about 30 messages a second."""
    await many_owners(fake, tmp_path, caplog, 2 * OWNERS, within=150.0)


async def many_owners(
    fake: FakeBotApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    count: int,
    within: float = 75.0,
) -> float:
    """``count`` owners file at once under faults; checks everything, returns the slowest
    owner's seconds from /new to the ticket number."""
    caplog.set_level(logging.INFO)
    # The real clock: outbox retries and 429 waits are due times against it.
    desk = Desk(fake, tmp_path, clock=ShiftedClock(DEFAULT_NOW), telegram_pace=True)
    await desk.start()
    rng = random.Random(20261127)
    w = Words(desk.settings, "en")
    photos_max = desk.settings.limits.photos_max
    owners = []
    for i in range(count):
        category, sub, urgency = MIX[i % len(MIX)]
        estate, building = rng.choice(PLACES)
        report = Report(
            description=f"Owner #{i}: problem in flat {1501 + i}",
            unit=str(1501 + i),
            category=category,
            sub=sub,
            urgency=urgency,
            estate=estate,
            building=building,
            photo=i % 2 == 0,
        )
        user = fake.user(8_100_000 + i, first_name=f"Owner{i}", language_code="en")
        owners.append(
            TolerantOwner(user, w, report, random.Random(rng.random()), photos_max=photos_max)
        )
    faults = fake.faults
    faults.error_rate_5xx = 0.10
    # Slow answers come past PTB's default 5 s read timeout: the bot sees a timeout although
    # the message was delivered. Each one holds up every update behind it, so only a few.
    faults.slow_seconds = 6.0
    faults.force_429_retry_after = 1
    faults.rate_limits = RateLimits(enabled=True)  # Telegram's real limits
    fake.flood.reset()

    async def chaos() -> None:
        for _ in range(3):
            await asyncio.sleep(rng.uniform(1.0, 6.0))
            faults.force_429 += 1
            if rng.random() < 0.7:
                faults.next_slow += 1

    started = time.monotonic()
    try:
        chaos_task = asyncio.create_task(chaos())
        filings = await asyncio.gather(*(o.file(within=within) for o in owners))
        await chaos_task
        unsent = await outbox_all_sent(desk.rows, within=OUTBOX_WAIT)
        workload = time.monotonic() - started
        faults.reset()
        tickets = await desk.rows("SELECT id, number, owner_id, status, description FROM tickets")
    finally:
        await desk.stop()

    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    seconds = sorted(f.seconds for f in filings)
    print(
        f"\nfaults: {count} owners, {len(tickets)} tickets in {workload:.1f}s; "
        f"nudges {sum(f.nudges for f in filings)}, actions {sum(f.actions for f in filings)}; "
        f"fake: injected 5xx {fake.stats.injected_5xx}, slow {fake.stats.slow}, "
        f"forced 429 {fake.stats.forced_429}, flood 429 {fake.stats.flood_429}; "
        f"bot ERROR log records {len(failures)}; /new to number: median "
        f"{seconds[len(seconds) // 2]:.1f}s, slowest {seconds[-1]:.1f}s"
    )

    by_owner: dict[int, list[dict[str, Any]]] = {}
    for row in tickets:
        by_owner.setdefault(row["owner_id"], []).append(row)
    for filing in filings:
        who = filing.owner
        assert filing.number is not None, f"{who} never saw a ticket number\n{fake.dump(who.id)}"
        mine = by_owner.get(who.id, [])
        assert [r["number"] for r in mine] == [filing.number], f"{who}: {mine}"
        assert mine[0]["description"] == filing.report.description
        assert_in_order(steps_seen(fake, who.id, owners[0].q), who)
    assert len(tickets) == count
    assert len({r["number"] for r in tickets}) == len(tickets)
    # Our own pacing ran into no flood limit (the forced 429s are not counted here).
    hit = Counter((c.method, c.params.get("chat_id")) for c in fake.calls if c.status == 429)
    assert fake.stats.flood_429 == 0, f"flood-control 429s; all 429s by (method, chat): {hit}"
    assert unsent == [], f"outbox rows not sent: {unsent}"
    return seconds[-1]


async def test_a_brief_5xx_is_ridden_out_and_a_long_one_is_told(
    desk: Desk, fake: FakeBotApi
) -> None:
    """Two 5xx answers in a row: the owner still gets the next question and no error. Three
    (every try of one send): the owner is told something went wrong, and nothing is lost."""
    user = fake.user(8_200_001, first_name="Wen", language_code="en")
    w = Words(desk.settings, "en")
    fake.faults.next_5xx = 2
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    assert fake.stats.injected_5xx == 2
    await user.send("Water leaking under the kitchen sink")
    card = await expect(user, w.t("intake.ask_estate"))
    assert not [m for m in user.messages if w.t("error.generic") in (m.text or "")]

    fake.faults.next_5xx = 3
    await user.press(w.estate("harbour_view"), message_id=card.message_id)
    await expect(user, w.t("error.generic"))
    assert fake.stats.injected_5xx == 5
    # The answer was kept: asking again continues at the question that could not be shown.
    await user.command("/new")
    await expect(user, w.t("flow.unfinished"))
    await user.press(w.t("flow.btn_continue"))
    await expect(user, w.t("intake.ask_building"))
