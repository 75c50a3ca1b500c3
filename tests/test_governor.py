"""The governor: one pace for every send and edit, by priority, within Telegram's limits.

These run on real elapsed time with fast rates; they assert what must have waited (lower
bounds) and the order, never how quickly something happened.
"""

from __future__ import annotations

import asyncio
import json
import time

from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.core.models import Priority
from bot.tg.governor import Call, Governor, governed_call, retry_after_of, sending_as


async def _timed(governor: Governor, call: Call, priority: Priority = Priority.NOTICE) -> float:
    """Seconds ``call`` waited for its go."""
    started = time.monotonic()
    await governor.acquire(call, priority)
    return time.monotonic() - started


async def test_the_answer_goes_before_queued_notices_then_cards() -> None:
    governor = Governor(per_second=20)  # a slot every 50 ms after a burst of two
    order: list[str] = []

    async def send(name: str, chat: int, priority: Priority) -> None:
        await governor.acquire(Call(chat), priority)
        order.append(name)

    notices = [asyncio.create_task(send(f"n{i}", 100 + i, Priority.NOTICE)) for i in range(6)]
    await asyncio.sleep(0)  # the notices are queued (two went at once)
    alert = asyncio.create_task(send("alert", 300, Priority.ALERT))
    reply = asyncio.create_task(send("reply", 200, Priority.REPLY))
    await asyncio.gather(*notices, alert, reply)
    assert order == ["n0", "n1", "reply", "alert", "n2", "n3", "n4", "n5"]
    assert governor.waited[Priority.REPLY] == 1 and governor.waited[Priority.NOTICE] == 4


async def test_the_overall_rate_holds_for_every_chat_together() -> None:
    governor = Governor(per_second=20)
    started = time.monotonic()
    await asyncio.gather(*(governor.acquire(Call(1000 + i)) for i in range(10)))
    # Two at once, then one every 50 ms: eight slots.
    assert time.monotonic() - started >= 8 / 20 - 0.01


async def test_a_private_chat_gets_a_short_burst_then_its_pace() -> None:
    governor = Governor(per_second=1000, chat_per_second=10)
    chat = Call(42)
    assert await _timed(governor, chat) < 0.05
    assert await _timed(governor, chat) < 0.05
    assert await _timed(governor, chat) >= 0.09  # the burst is spent: 100 ms apart
    # Editing a message in a private chat spends nothing (see Governor._charged).
    assert await _timed(governor, Call(42, edit=True)) < 0.05
    assert await _timed(governor, Call(43)) < 0.05  # another chat is not held up


async def test_a_group_is_paced_for_edits_too_and_an_album_counts_per_photo() -> None:
    governor = Governor(per_second=1000, chat_per_second=10, group_per_minute=600)
    group = -100123
    assert await _timed(governor, Call(group)) < 0.05
    assert await _timed(governor, Call(group, edit=True)) >= 0.09
    assert await _timed(governor, Call(7, cost=5)) < 0.05  # an album of five to a person
    # Five spent from a burst of two: the next message waits for four tokens (0.4 s).
    assert await _timed(governor, Call(7)) >= 0.39


async def test_a_429_holds_only_its_chat_and_a_short_one_is_waited_out() -> None:
    governor = Governor(per_second=1000)
    answers = [
        (429, json.dumps({"ok": False, "parameters": {"retry_after": 0.3}}).encode()),
        (200, b'{"ok": true}'),
    ]
    sent_at: list[float] = []

    async def attempt() -> tuple[int, bytes]:
        sent_at.append(time.monotonic())
        return answers.pop(0)

    task = asyncio.create_task(governor.send(Call(5), attempt))
    await asyncio.sleep(0.05)
    # Meanwhile another chat goes at once: the hold is for chat 5 only.
    assert await _timed(governor, Call(6)) < 0.05
    assert await task == (200, b'{"ok": true}')
    assert sent_at[1] - sent_at[0] >= 0.29
    assert governor.holds == 1


async def test_a_long_429_goes_back_to_the_caller_and_the_chat_stays_held() -> None:
    governor = Governor(per_second=1000)
    busy = (429, json.dumps({"ok": False, "parameters": {"retry_after": 30}}).encode())

    async def attempt() -> tuple[int, bytes]:
        return busy

    assert await governor.send(Call(5), attempt) == busy  # the outbox reschedules it
    waiting = asyncio.create_task(governor.acquire(Call(5)))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    waiting.cancel()  # a cancelled wait gives up its place
    await asyncio.gather(waiting, return_exceptions=True)
    assert await _timed(governor, Call(6)) < 0.05


async def test_the_priority_comes_from_the_sending_task() -> None:
    governor = Governor(per_second=20)
    await asyncio.gather(governor.acquire(Call(1)), governor.acquire(Call(2)))  # the burst
    with sending_as(Priority.REPLY):
        await governor.acquire(Call(3))
    assert governor.waited[Priority.REPLY] == 1 and governor.waited[Priority.NOTICE] == 0


def _data(**params: object) -> RequestData:
    return RequestData([RequestParameter(name, value, None) for name, value in params.items()])


def test_which_calls_are_paced_and_what_they_cost() -> None:
    base = "http://127.0.0.1/bot1:x"
    media = [{"type": "photo", "media": f"f{i}"} for i in range(4)]
    assert governed_call(f"{base}/sendMessage", _data(chat_id=5, text="hi")) == Call(5)
    assert governed_call(f"{base}/sendMediaGroup", _data(chat_id=-7, media=media)) == Call(
        -7, cost=4
    )
    assert governed_call(f"{base}/editMessageText", _data(chat_id=5, text="x")) == Call(
        5, edit=True
    )
    assert governed_call(f"{base}/copyMessage", _data(chat_id="@news")) == Call("@news")
    for method in ("answerCallbackQuery", "getUpdates", "getFile", "setMyCommands", "getMe"):
        assert governed_call(f"{base}/{method}", _data(chat_id=5)) is None
    assert retry_after_of(b'{"ok":false,"parameters":{"retry_after":3}}') == 3.0
    assert retry_after_of(b"<html>busy</html>") is None
