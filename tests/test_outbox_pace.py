"""The outbox keeps to telegram.messages_per_second overall, as config.yaml says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.models import Outgoing
from tests.fakebot import FakeBotApi
from tests.harness import Desk

RATE = 5.0  # far below the shipped 28/s, so the spacing is plain to see


async def test_notices_go_out_no_faster_than_the_configured_rate(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    def slow_sender(data: dict[str, Any]) -> None:
        data["telegram"]["messages_per_second"] = RATE

    desk = Desk(fake, tmp_path, edit=slow_sender)
    await desk.start()
    try:
        people = [fake.user(8_500_000 + i, first_name=f"Notice{i}") for i in range(10)]
        await desk.store.enqueue(
            [Outgoing(p.id, f"Notice {i}: lifts serviced tomorrow") for i, p in enumerate(people)],
            desk.clock(),
        )
        await desk.outbox_settled()
    finally:
        await desk.stop()
    chats = {p.id for p in people}
    sent = sorted(
        c.time
        for c in fake.calls
        if c.method == "sendMessage"
        and c.status == 200
        and int(c.params.get("chat_id", 0)) in chats
    )
    assert len(sent) == 10
    # Slots are 0.2 s apart and at most one is made up, so ten sends span at least eight
    # slots (1.6 s); at the shipped 28/s they would take about 0.3 s.
    assert sent[-1] - sent[0] >= 8 / RATE - 0.05, sent
