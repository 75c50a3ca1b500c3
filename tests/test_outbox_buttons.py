"""Outbox buttons: neutral actions become callback data on the way out; old rows still go."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Outgoing, action_ref
from tests.fakebot import FakeBotApi
from tests.harness import Desk


async def test_neutral_and_previous_release_buttons_both_deliver(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    desk = Desk(fake, tmp_path)
    await desk.start()
    try:
        owner = fake.user(8_600_001, first_name="Mei")
        neutral = (
            ("Fixed", action_ref("owner.fixed", 42)),
            ("Rate", action_ref("survey.rate5", 9)),
        )
        # What the previous release queued: Telegram callback data in the payload.
        old = (("Fixed", "o:42:fixed"), ("Rate", "s:9:5"))
        await desk.store.enqueue(
            [Outgoing(owner.id, "new row", (neutral,)), Outgoing(owner.id, "old row", (old,))],
            desk.clock(),
        )
        await desk.outbox_settled()
    finally:
        await desk.stop()
    shown = {m.text: m.buttons for m in owner.messages}
    expected = [[("Fixed", "o:42:fixed"), ("Rate", "s:9:5")]]
    assert [list(r) for r in shown["new row"]] == expected
    assert [list(r) for r in shown["old row"]] == expected
