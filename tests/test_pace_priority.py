"""One pace for every message: when messages must wait, a new ticket's card goes first.

Relays (an owner's messages passed to the engineer) are capped per ticket; the rest wait on
the ticket, and the engineer gets one "N more messages" notice when the window has room.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from tests.fakebot import FakeBotApi, FakeUser, RateLimits
from tests.harness import Desk, Words, expect, sqlite_only
from tests.test_e2e_staff import WANG, card_of, file_ticket, fill_report

RELAYING_OWNERS = 4
RELAYS_EACH = 10
# The emergency card's time from Submit to the engineer's chat: measured about a second (the
# target is under 2 s); without priorities it waits behind every relay queued for him, a
# second each. The bound leaves room for a loaded machine.
CARD_WITHIN = 5.0
NUMBER = re.compile(r"HV-\d{8}-\d{4}")


async def _events(desk: Desk, kind: str) -> int:
    rows = await desk.rows("SELECT COUNT(*) AS n FROM ticket_events WHERE kind = ?", kind)
    return int(rows[0]["n"])


async def _until(what: str, check: object, within: float) -> None:
    """Wait until ``check()`` (an async callable) is true."""
    deadline = time.monotonic() + within
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def _accepted(desk: Desk, owner: FakeUser, wang: FakeUser, description: str) -> int:
    """The owner files a ticket and Wang accepts it; returns the owner's "accepted" message."""
    row = await file_ticket(desk, owner, description=description)
    card = await card_of(wang, row["number"])
    await wang.press(
        Words(desk.settings, "zh-Hans").t("card.btn_accept"), message_id=card.message_id
    )
    notice = await expect(owner, f"has taken ticket {row['number']}")
    return int(notice.message_id)


async def test_an_emergency_card_does_not_wait_behind_relays(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    # The scene, set up at a test server's pace: four owners whose tickets Wang has accepted,
    # and a fifth at the summary of an emergency report.
    desk = Desk(fake, tmp_path)
    await desk.start()
    wang = fake.user(WANG)
    owners = [
        fake.user(8_600_000 + i, first_name=f"Neighbour{i}", language_code="en")
        for i in range(RELAYING_OWNERS)
    ]
    late = fake.user(8_600_099, first_name="Burst", language_code="en")
    try:
        accepted = {
            o.id: await _accepted(desk, o, wang, f"Dripping pipe in flat {1601 + i}")
            for i, o in enumerate(owners)
        }
        await desk.execute(
            "INSERT INTO users (telegram_id, first_name, created_at, updated_at, phone_asked)"
            " VALUES (?, 'Burst', '2026-01-01', '2026-01-01', 1)",
            late.id,
        )  # asked for a phone before: Submit files at once
        await fill_report(desk, late, urgency="emergency", description="A pipe burst in the hall")
        await desk.outbox_settled()
    finally:
        await desk.stop()

    # At Telegram's pace, against a fake that enforces Telegram's flood limits.
    fake.faults.rate_limits = RateLimits(enabled=True)
    fake.flood.reset()
    desk = Desk(fake, tmp_path, telegram_pace=True)
    await desk.start()
    try:
        for n in range(RELAYS_EACH):
            for owner in owners:
                await owner.reply_to(accepted[owner.id], f"Any news? ({n + 1})")

        async def all_taken_in() -> bool:
            return await _events(desk, "owner_message") == RELAYING_OWNERS * RELAYS_EACH

        await _until("every relay to be taken in", all_taken_in, 60)
        queued = await desk.rows(
            "SELECT COUNT(*) AS n FROM outbox WHERE chat_id = ? AND status = 'pending'"
            " AND next_attempt_at <= created_at",
            WANG,
        )
        started = time.monotonic()
        await late.press(Words(desk.settings, "en").t("flow.btn_submit"))
        confirmation = await expect(late, "HV-", wait=20)
        found = NUMBER.search(confirmation.text or "")
        assert found is not None
        number = found.group(0)
        await wang.wait_for_message(
            lambda m: number in (m.text or "") and bool(m.buttons), timeout=120
        )
        latency = time.monotonic() - started
    finally:
        await desk.stop()
    print(
        f"\nemergency card behind relays: {latency:.2f}s from Submit to the engineer;"
        f" {queued[0]['n']} messages were queued for him; flood 429s {fake.stats.flood_429}"
    )
    assert latency < CARD_WITHIN, f"the emergency card took {latency:.1f}s"
    assert fake.stats.flood_429 == 0


@sqlite_only
async def test_past_the_cap_an_owners_messages_wait_on_the_ticket(
    desk: Desk, fake: FakeBotApi
) -> None:
    wang = fake.user(WANG)
    owner = fake.user(8_600_100, first_name="Chatty", language_code="en")
    w, z = Words(desk.settings, "en"), Words(desk.settings, "zh-Hans")
    accepted = await _accepted(desk, owner, wang, "The lift door sticks")
    number = (await desk.rows("SELECT number FROM tickets"))[0]["number"]
    cap = desk.settings.limits.relays_per_ticket
    for n in range(cap + 3):
        await owner.reply_to(accepted, f"Update {n + 1}")
        await expect(owner, w.t("owner.message_sent", number=number))
    await expect(wang, f"Update {cap}")
    await wang.assert_no_reply()
    relayed = [m.text or "" for m in wang.messages if "Update " in (m.text or "")]
    assert [f"Update {n + 1}" in t for n, t in enumerate(relayed)] == [True] * cap
    held = await desk.rows(
        "SELECT COUNT(*) AS n FROM ticket_events WHERE kind = 'owner_message'"
        " AND json_extract(data, '$.held')"
    )
    assert held[0]["n"] == 3  # on the timeline (/ticket shows them), not in Wang's chat
    waiting = await desk.rows("SELECT payload FROM outbox WHERE status = 'pending'")
    assert len(waiting) == 1  # one notice, its count raised by each held message

    # When the window has room again, Wang hears how many more there are.
    desk.clock.advance(minutes=11)
    await expect(wang, z.t("notify.relays_held", number=number, count=3))
    await owner.reply_to(accepted, "Update 9")  # and the next one is passed on at once
    await expect(wang, "Update 9")
