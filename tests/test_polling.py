"""Updates of different people are handled side by side; one person's stay in order."""

from __future__ import annotations

import time

from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect

HELD = 4.0  # seconds the fake holds its answer to one send (below PTB's 5 s read timeout)


async def test_a_slow_send_to_one_owner_does_not_hold_up_another(
    desk: Desk, fake: FakeBotApi
) -> None:
    slow = fake.user(8_300_001, first_name="Slow", language_code="en")
    quick = fake.user(8_300_002, first_name="Quick", language_code="en")
    w = Words(desk.settings, "en")
    fake.faults.slow_seconds = HELD
    fake.faults.next_slow = 1  # the first send, the slow owner's question, is answered late
    # No await yields in between: all three updates reach the bot in one batch.
    await slow.command("/new")
    await slow.send("hm")  # the same person: must wait for the /new before it
    await quick.command("/new")
    started = time.monotonic()
    await expect(slow, w.t("intake.ask_what"))
    await expect(quick, w.t("intake.ask_what"), wait=HELD - 1)
    assert time.monotonic() - started < HELD - 1, "the quick owner waited for the slow one"
    await expect(slow, w.t("flow.too_short", min=5), wait=HELD + 5)
    texts = [m.text or "" for m in slow.messages]
    asked = next(i for i, t in enumerate(texts) if w.t("intake.ask_what") in t)
    told = next(i for i, t in enumerate(texts) if w.t("flow.too_short", min=5) in t)
    assert asked < told, texts
    assert fake.stats.slow == 1
