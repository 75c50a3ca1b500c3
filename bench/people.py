"""Simulated people for the benchmark: many owners at once, with exact reply latencies.

The fake's own ``wait_for_message`` wakes every waiter on every API call, which is fine for a
test with one person and quadratic with hundreds; here each chat gets its own queue of new bot
messages instead, fed by a hook on the fake's message store. Latency is measured from the
moment an update is enqueued in the fake to the moment the fake stored the bot's answer (both
``time.monotonic()`` in this process), so the harness's own scheduling delays do not count.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.emulator.state import ApiCall, ChatState
from tests.fakebot import FakeBotApi, FakeUser, StoredMessage

Matcher = Callable[[StoredMessage], bool]


class Inbox:
    """Per-chat queues of new bot messages of one bot token."""

    def __init__(self, fake: FakeBotApi, token: str) -> None:
        self.fake = fake
        self.token = token
        self.state = fake.bot(token)
        self._queues: dict[int, asyncio.Queue[StoredMessage]] = {}
        self.watch_all: Callable[[StoredMessage], None] | None = None
        original = self.state.store

        def store(
            chat: ChatState, data: dict[str, Any], *, from_bot: bool, markup: Any = None
        ) -> StoredMessage:
            message = original(chat, data, from_bot=from_bot, markup=markup)
            if from_bot:
                queue = self._queues.get(chat.id)
                if queue is not None:
                    queue.put_nowait(message)
                if self.watch_all is not None:
                    self.watch_all(message)
            return message

        self.state.store = store  # type: ignore[method-assign]
        recorded = self.state.record_call

        def record_call(call: ApiCall) -> None:
            # The report's card is edited in place: an edit is news to the person as well.
            recorded(call)
            if call.method != "editMessageText" or call.status != 200:
                return
            chat = self.state.chats.get(int(call.params.get("chat_id", 0)))
            queue = self._queues.get(chat.id) if chat is not None else None
            message = chat.find(int(call.params.get("message_id", 0))) if chat else None
            if queue is not None and message is not None:
                queue.put_nowait(message)

        self.state.record_call = record_call  # type: ignore[method-assign]

    def user(self, user_id: int, first_name: str = "Owner", language_code: str = "en") -> FakeUser:
        """A person with a private chat with this bot, whose new messages are queued."""
        user = self.fake.user(
            user_id, first_name=first_name, language_code=language_code, token=self.token
        )
        self._queues.setdefault(user.chat_id, asyncio.Queue())
        return user

    def group(self, chat_id: int, title: str) -> None:
        """A group chat the bot is in."""
        self.fake.group(chat_id, title=title, token=self.token)

    async def next(self, chat_id: int, match: Matcher | None, timeout: float) -> StoredMessage:  # noqa: ASYNC109
        """The next new bot message in the chat that matches (others are skipped)."""
        queue = self._queues[chat_id]
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching bot message in chat {chat_id} in {timeout:g}s")
            message = await asyncio.wait_for(queue.get(), remaining)
            if match is None or match(message):
                return message

    def drain(self, chat_id: int) -> None:
        """Forget queued messages of a chat."""
        queue = self._queues[chat_id]
        while not queue.empty():
            queue.get_nowait()


@dataclass(frozen=True)
class Step:
    """One thing a person does, and the answer they wait for."""

    action: Literal["text", "press"]
    value: str  # the text to send, or the label of the button to press
    expect: Matcher
    name: str


@dataclass
class Run:
    """What one simulated person experienced."""

    user_id: int
    latencies: list[tuple[str, float]] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # when each step's update was enqueued
    finished_at: float | None = None
    last_text: str | None = None
    error: str | None = None


def button_data(message: StoredMessage, label: str) -> str:
    """The callback data of the button labelled ``label`` (exact, else a unique partial match)."""
    buttons = [(text, data) for row in message.buttons for text, data in row]
    for text, data in buttons:
        if text == label and data is not None:
            return data
    partial = [data for text, data in buttons if label in text and data is not None]
    if len(partial) == 1:
        return partial[0]
    raise LookupError(f"no button {label!r} in {[t for t, _ in buttons]}")


async def perform(
    inbox: Inbox,
    user: FakeUser,
    steps: list[Step],
    timeout: float,  # noqa: ASYNC109
) -> Run:
    """Do the steps one after another, each waiting for its answer; never raises."""
    run = Run(user.id)
    last: StoredMessage | None = None
    try:
        for step in steps:
            if step.action == "text":
                started = time.monotonic()
                await user.send(step.value)
            else:
                if last is None:
                    raise LookupError(f"step {step.name}: nothing to press a button on")
                data = button_data(last, step.value)
                started = time.monotonic()
                await user.press_data(data, message_id=last.message_id)
            run.sent_at.append(started)
            last = await inbox.next(user.chat_id, step.expect, timeout)
            run.latencies.append((step.name, last.created - started))
        run.finished_at = last.created if last is not None else None
        run.last_text = last.text if last is not None else None
    except (TimeoutError, LookupError, AssertionError) as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    return run


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_summary(values: list[float]) -> dict[str, float | int]:
    """Count, mean and percentiles of latencies, in milliseconds."""
    ms = [v * 1000 for v in values]
    return {
        "count": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else 0.0,
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else 0.0,
    }


async def wait_until(probe: Callable[[], bool], timeout: float, every: float = 0.01) -> bool:  # noqa: ASYNC109
    """Poll until ``probe()`` is true; False on timeout."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(every)
    return True
