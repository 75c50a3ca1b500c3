"""Bursts on staff screens: many new tickets for one department group share digest cards.

At Telegram's real group limit (20 messages a minute, edits counted, enforced by the emulator)
a card per ticket puts the 100th ticket of a burst on the group's screen after about 305 s;
digest cards (bot/tg/digest.py) put every one there within a minute, and each can still be
accepted exactly once from it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ShiftedClock
from bot.emulator.faults import RateLimits
from bot.emulator.state import ChatState
from tests.fakebot import FakeBotApi
from tests.harness import DEFAULT_NOW, Desk, Words, expect
from tests.test_e2e_staff import (
    GROUP,
    SUN_SECURITY,
    WANG,
    ZHANG,
    card_of,
    file_ticket,
    fill_report,
    zh,
)

BURST = 100
VISIBLE_WITHIN = 60.0  # seconds from the burst's first Submit to the last ticket on screen
NUMBER = "HV-"


def HERE(z: Words) -> str:
    """Where the burst's tickets are, as a digest's head names it (the shipped config has
    two estates)."""
    return f"{z.estate('harbour_view')} {z.building('harbour_view', '3')}"


async def _ready_to_submit(fake: FakeBotApi, tmp_path: Path, count: int) -> list[Any]:
    """``count`` owners with a report of no water in block 3 filled in up to its Submit
    (at a test server's pace: the burst to measure is the Submit presses)."""
    desk = Desk(fake, tmp_path)
    await desk.start()
    owners = [fake.user(8_700_000 + i, language_code="en") for i in range(count)]
    try:
        for owner in owners:  # asked for their phone before: Submit files at once
            await desk.execute(
                "INSERT INTO users (telegram_id, first_name, created_at, updated_at, phone_asked)"
                " VALUES (?, 'Owner', '2026-01-01', '2026-01-01', 1)",
                owner.id,
            )
        for start in range(0, count, 10):
            await asyncio.gather(
                *(
                    fill_report(desk, o, description=f"No water in flat {1501 + start + i}")
                    for i, o in enumerate(owners[start : start + 10])
                )
            )
    finally:
        await desk.stop()
    return owners


def first_seen(chat: ChatState) -> dict[str, float]:
    """When each ticket number first showed in the chat (the emulator's record of every send
    and edit), by the monotonic clock."""
    seen: dict[str, float] = {}
    for message in chat.bot_messages():
        shown = [(message.created, message.edits[0].old_text if message.edits else message.text)]
        shown += [(e.time, e.new_text) for e in message.edits]
        for at, text in shown:
            for word in (text or "").replace("·", " ").split():
                if word.startswith(NUMBER) and word not in seen:
                    seen[word] = at
                elif word.startswith(NUMBER):
                    seen[word] = min(seen[word], at)
    return seen


async def _until(what: str, check: Callable[[], Any], within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"waited {within:.0f}s for {what}"
        await asyncio.sleep(0.2)


async def burst(
    fake: FakeBotApi, tmp_path: Path, count: int, *, digest: bool = True
) -> tuple[Desk, float, dict[str, float]]:
    """``count`` owners press Submit at once at Telegram's real limits; returns the running
    desk, the monotonic moment of the first press and when each ticket showed in the group."""
    owners = await _ready_to_submit(fake, tmp_path, count)
    fake.faults.rate_limits = RateLimits(enabled=True, group_edits=True)  # Telegram's limits
    fake.flood.reset()

    def switch(data: dict[str, Any]) -> None:
        data["group_digest"] = {"enabled": digest}

    desk = Desk(fake, tmp_path, clock=ShiftedClock(DEFAULT_NOW), telegram_pace=True, edit=switch)
    await desk.start()
    w = Words(desk.settings, "en")
    started = time.monotonic()
    chat = fake.group(GROUP).chat
    try:
        for owner in owners:  # within a second or two: one burst
            await owner.press(w.t("flow.btn_submit"))

        async def filed() -> bool:
            return len(await desk.rows("SELECT id FROM tickets")) == count

        await _until("every ticket to be filed", filed, 60)
        numbers = {r["number"] for r in await desk.rows("SELECT number FROM tickets")}

        async def on_screen() -> bool:
            return numbers <= set(first_seen(chat))

        await _until("every ticket on the group's screen", on_screen, 400)
    except BaseException:
        await desk.stop()
        raise
    return desk, started, first_seen(chat)


async def test_a_burst_of_100_tickets_is_on_the_groups_screen_within_a_minute(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    desk, started, seen = await burst(fake, tmp_path, BURST)
    try:
        group = fake.group(GROUP)
        latest = max(seen.values()) - started
        sends = [c for c in fake.calls if c.method == "sendMessage" and c.params.get("chat_id")]
        to_group = [c for c in sends if int(c.params["chat_id"]) == GROUP]
        print(
            f"\ndigest: {BURST} tickets on the group's screen {latest:.1f}s after the first"
            f" Submit, in {len(group.messages)} group messages ({len(to_group)} sends);"
            f" flood 429s {fake.stats.flood_429}"
        )
        assert len(seen) == BURST and latest <= VISIBLE_WITHIN, latest
        assert fake.stats.flood_429 == 0  # paced: not one 429 at the real limits
        # Each ticket is on exactly one message of the group, with its own Accept button.
        numbers = sorted(seen)
        for number in numbers:
            holding = [m for m in group.messages if number in (m.text or "")]
            assert len(holding) == 1, (number, [m.message_id for m in holding])
        assert len(group.messages) <= 1 + -(-BURST // 30) + 1
        presses = [
            (m.message_id, data)
            for m in group.messages
            for row in m.buttons
            for _, data in row
            if data is not None and data.endswith(":accept")
        ]
        assert len(presses) == BURST
        lines = await desk.rows("SELECT COUNT(*) AS n FROM digest_lines WHERE is_open = 1")
        assert lines[0]["n"] >= BURST - 1  # all but perhaps the first, which had its own card

        # The digests outlive a restart: which message lists which ticket is in the database.
        await desk.restart()
        wang, zhang = group.member(fake.user(WANG)), group.member(fake.user(ZHANG))
        outsider = group.member(fake.user(SUN_SECURITY))
        await outsider.press_data(presses[0][1], message_id=presses[0][0])
        refused = await outsider.wait_callback_answer()
        assert refused.text == zh(desk).t("refusal.other_department")
        # Two engineers press every Accept at the same moment.
        await asyncio.gather(
            *(
                member.press_data(data, message_id=message_id)
                for message_id, data in presses
                for member in (wang, zhang)
            )
        )

        def answered() -> Any:
            async def check() -> bool:
                datas = {d for _, d in presses}
                got = [a for a in fake.callback_answers if a.data in datas]
                return len(got) >= 2 * BURST + 1

            return check

        await _until("every press to be answered", answered(), 60)
        accepted = await desk.rows(
            "SELECT ticket_id, COUNT(*) AS n FROM ticket_events WHERE kind = 'accepted'"
            " GROUP BY ticket_id"
        )
        assert len(accepted) == BURST and all(r["n"] == 1 for r in accepted)
        rows = await desk.rows("SELECT id, number, status, assignee_id FROM tickets")
        assert {r["status"] for r in rows} == {"accepted"}
        z = zh(desk)
        for row in rows:  # one was told it is theirs, the other who was quicker
            winner = row["assignee_id"]
            assert winner in (WANG, ZHANG)
            loser = ZHANG if winner == WANG else WANG
            data = f"k:{row['id']}:accept"
            answers = {
                a.user_id: a.text
                for a in fake.callback_answers
                if a.data == data and a.user_id in (WANG, ZHANG)
            }
            name = desk.settings.staff_member(winner).name  # type: ignore[union-attr]
            assert answers[winner] == z.t("card.accepted_toast", number=row["number"])
            assert answers[loser] == z.t("refusal.already_taken", by=name)

        # The group's screen follows: every line says who took it, no Accept button is left.
        async def all_taken() -> bool:
            return all(not m.buttons for m in group.messages)

        await _until("the digests to show every ticket taken", all_taken, 90)
        # Not one 429 in the group (a private chat may get one just after the restart: the
        # new process's governor starts with a full bucket; that is not the digests' doing).
        assert not [
            c for c in fake.calls if c.status == 429 and str(c.params.get("chat_id")) == str(GROUP)
        ]
    finally:
        await desk.stop()


@pytest.mark.slow
async def test_without_digests_the_same_burst_takes_minutes(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """The figure before digest cards: a card each, 20 a minute (about 300 s for 100)."""
    desk, started, seen = await burst(fake, tmp_path, BURST, digest=False)
    try:
        latest = max(seen.values()) - started
        print(f"\nno digest: {BURST} tickets on the group's screen {latest:.1f}s after Submit")
        assert latest > 4 * VISIBLE_WITHIN
    finally:
        await desk.stop()


async def test_a_quiet_ticket_gets_its_card_and_a_burst_shares_a_digest(
    desk: Desk, fake: FakeBotApi
) -> None:
    """One ticket: a card of its own. Five at once: one digest card, edited in place as a
    ticket is taken (who took it, its button gone) and as a sixth one joins soon after."""
    group, z = fake.group(GROUP), zh(desk)
    quiet = await file_ticket(desk, fake.user(8_710_000, language_code="en"))
    card = await card_of(group.member(fake.user(ZHANG)), quiet["number"])
    assert card.labels == [z.t("card.btn_accept")]
    assert await desk.rows("SELECT * FROM digest_lines") == []

    owners = [fake.user(8_710_001 + i, language_code="en") for i in range(6)]
    for owner in owners:
        await desk.execute(
            "INSERT INTO users (telegram_id, first_name, created_at, updated_at, phone_asked)"
            " VALUES (?, 'Owner', '2026-01-01', '2026-01-01', 1)",
            owner.id,
        )
        await fill_report(desk, owner, description=f"No water in flat {owner.id % 10000}")
    w = Words(desk.settings, "en")
    # The worker is held while the five are filed (each owner still gets the number at once:
    # that reply does not wait for the worker), so all five cards wait for the group
    # together. Left running, it may send the first one's card before the other four are
    # stored (on PostgreSQL the submits commit side by side), which is a quiet group's card.
    assert desk.runtime is not None and desk.runtime.outbox is not None
    outbox = desk.runtime.outbox
    await outbox.stop(flush_timeout=0)
    for owner in owners[:5]:  # no await yields in between: one batch
        await owner.press(w.t("flow.btn_submit"))
    for owner in owners[:5]:
        await expect(owner, NUMBER)
    outbox.start()
    await desk.outbox_settled()
    rows = await desk.rows("SELECT id, number FROM tickets ORDER BY id")
    burst_rows = rows[1:]
    assert len(group.messages) == 2
    digest = group.messages[-1]
    text = digest.text or ""
    print("\n" + text + "\n" + str(digest.labels))
    assert text.startswith(z.t("digest.title", where=HERE(z), count=5, open=5))
    assert all(r["number"] in text for r in burst_rows) and quiet["number"] not in text
    assert "1501" not in text  # the group never sees the flat
    tails = [r["number"].rsplit("-", 1)[-1] for r in burst_rows]
    assert digest.labels == [f"{z.t('card.btn_accept')} {t}" for t in tails]

    # 王师傅 takes the second one from the digest: the line says so, its button goes.
    wang = group.member(fake.user(WANG))
    taken = burst_rows[1]
    await wang.press(f"{z.t('card.btn_accept')} {tails[1]}", message_id=digest.message_id)
    answer = await wang.wait_callback_answer()
    assert answer.text == z.t("card.accepted_toast", number=taken["number"])
    await desk.outbox_settled()
    edited = next(m for m in group.messages if m.message_id == digest.message_id)
    line = next(x for x in (edited.text or "").splitlines() if taken["number"] in x)
    assert z.t("status.accepted") in line and "王" in line
    assert len(edited.labels) == 4 and f"{z.t('card.btn_accept')} {tails[1]}" not in edited.labels
    assert (edited.text or "").startswith(z.t("digest.title", where=HERE(z), count=5, open=4))
    # A stale press of that button (another engineer, later) is answered politely.
    zhang = group.member(fake.user(ZHANG))
    await zhang.press_data(f"k:{taken['id']}:accept", message_id=digest.message_id)
    stale = await zhang.wait_callback_answer()
    assert stale.text == z.t("refusal.already_taken", by=desk.settings.staff_member(WANG).name)  # type: ignore[union-attr]

    # A sixth ticket soon after joins the same digest (edited), after a restart too.
    await desk.restart()
    await owners[5].press(w.t("flow.btn_submit"))
    await expect(owners[5], NUMBER)
    await desk.outbox_settled()
    sixth = (await desk.rows("SELECT number FROM tickets ORDER BY id DESC LIMIT 1"))[0]
    assert len(group.messages) == 2
    joined = next(m for m in group.messages if m.message_id == digest.message_id)
    assert sixth["number"] in (joined.text or "") and len(joined.labels) == 5

    # Someone deletes the digest in the group: at the next change its waiting tickets come
    # back on the group's screen (the taken one needs no card any more).
    group.chat.messages[digest.message_id].deleted = True
    third = burst_rows[2]
    private = await card_of(fake.user(WANG), third["number"])
    await fake.user(WANG).press(z.t("card.btn_accept"), message_id=private.message_id)
    await fake.user(WANG).wait_callback_answer()
    await desk.outbox_settled()
    waiting = [burst_rows[i]["number"] for i in (0, 3, 4)] + [sixth["number"]]
    shown = " ".join(m.text or "" for m in group.messages)
    assert all(n in shown for n in waiting), shown
    assert third["number"] not in shown and taken["number"] not in shown
    accept_buttons = [label for m in group.messages for label in m.labels]
    assert len(accept_buttons) == 1 + len(waiting)  # the quiet ticket's card and four more
