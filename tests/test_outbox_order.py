"""Which queued message of a chat goes next: the most important, then the oldest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.models import Outgoing, Priority
from bot.store import Store

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
ENGINEER, OWNER = 7001, 8001


async def test_a_card_overtakes_relays_queued_for_the_same_chat(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "desk.sqlite3")
    try:
        relays = [Outgoing(ENGINEER, f"relay {n}", ticket_id=1) for n in range(3)]
        card = Outgoing(ENGINEER, "", ticket_id=2, card="staff", priority=Priority.ALERT)
        answer = Outgoing(OWNER, "HV-1", priority=Priority.REPLY)
        await store.enqueue([*relays, card, answer], NOW)
        heads = await store.due_outbox(NOW)
        # One per chat, the most important first; the card is the engineer's next message.
        assert [(h.message.chat_id, h.message.card) for h in heads] == [
            (OWNER, None),
            (ENGINEER, "staff"),
        ]
        head = await store.due_outbox_of_chat(ENGINEER, NOW)
        assert head is not None and head.message.priority is Priority.ALERT
    finally:
        await store.close()


async def test_a_message_for_later_holds_nobody_up_and_is_replaced_while_it_waits(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "desk.sqlite3")
    try:
        later = NOW + timedelta(minutes=10)

        def notice(count: int) -> Outgoing:
            text = f"{count} more"
            return Outgoing(ENGINEER, text, ticket_id=1, not_before=later, collapse="relays")

        await store.enqueue([notice(1)], NOW)
        await store.enqueue([Outgoing(ENGINEER, "a new notice", ticket_id=3)], NOW)
        await store.enqueue([notice(2)], NOW + timedelta(minutes=1))
        heads = await store.due_outbox(NOW + timedelta(minutes=1))
        assert [h.message.text for h in heads] == ["a new notice"]
        counts = await store.outbox_counts()
        assert counts == {"pending": 2}  # the second count replaced the first
        await store.outbox_sent(heads[0].id, 1, NOW + timedelta(minutes=1))
        assert await store.due_outbox(NOW + timedelta(minutes=2)) == []
        heads = await store.due_outbox(later)
        assert [h.message.text for h in heads] == ["2 more"]
    finally:
        await store.close()
