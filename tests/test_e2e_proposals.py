"""The bot proposes an incident, end to end: six owners report "no water" from building 3 in a
quarter of an hour → the maintenance supervisor gets one proposal (edited as reports come, not
six messages); declaring it declares the incident and links the reports; "not related" keeps
the cluster quiet for the window. Forged, stale and other people's presses are refused."""

from __future__ import annotations

from typing import Any

from bot.tg import callbacks as cb
from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.test_e2e_staff import LI_SUP, LIU, WANG, file_ticket

PROPOSAL_MARK = "⚠️"


def proposals_in(user: Any) -> list[Any]:
    """The proposal cards in a chat, as they read now."""
    return [m for m in user.messages if (m.text or "").startswith(PROPOSAL_MARK)]


async def report(desk: Desk, fake: FakeBotApi, n: int, minutes: float = 3) -> dict[str, Any]:
    """Owner ``n`` reports no water in 3栋, ``minutes`` after the previous report."""
    desk.clock.advance(minutes=minutes)
    owner = fake.user(90_000 + n, language_code="en")
    return await file_ticket(desk, owner, description=f"No water in the kitchen ({n})")


async def test_six_reports_one_proposal_declared_links_them(desk: Desk, fake: FakeBotApi) -> None:
    w = Words(desk.settings, "zh-Hans")
    li = fake.user(LI_SUP)
    numbers = []
    for n in range(4):
        numbers.append((await report(desk, fake, n))["number"])
    assert proposals_in(li) == []  # four reports are not yet a cluster
    assert await desk.rows("SELECT * FROM incident_proposals") == []
    numbers.append((await report(desk, fake, 4))["number"])
    card = await expect(li, PROPOSAL_MARK)
    assert "5" in card.text and "停水" in card.text and "3栋 1502" in card.text
    assert all(number in card.text for number in numbers)
    assert w.t("proposal.btn_declare") in li.button_labels(card)
    numbers.append((await report(desk, fake, 5))["number"])
    edited = await li.wait_for_edit(card.message_id)
    assert numbers[5] in (edited.text or "")
    await desk.outbox_settled()
    assert len(proposals_in(li)) == 1  # six reports, one proposal
    rows = await desk.rows("SELECT * FROM incident_proposals")
    assert len(rows) == 1
    proposal_id = rows[0]["id"]
    assert len(await desk.rows("SELECT * FROM incident_proposal_tickets")) == 6

    # Other people's presses and forged data: a polite answer, nothing changes.
    owner = fake.user(90_000)
    await owner.press_data(cb.encode(cb.ProposalPress(proposal_id, "d")))
    en = Words(desk.settings, "en")
    assert (await owner.wait_callback_answer()).text == en.t("proposal.refused.not_allowed")
    liu = fake.user(LIU)  # maintenance staff, but of another estate
    await liu.command("/incident")
    await expect(liu, w.t("incident.none_open"))
    await liu.press_data(cb.encode(cb.ProposalPress(proposal_id, "x")))
    assert (await liu.wait_callback_answer()).text == w.t("proposal.refused.not_allowed")
    await li.press_data(cb.encode(cb.ProposalPress(proposal_id + 50, "d")))
    assert (await li.wait_callback_answer()).text == w.t("proposal.refused.gone")
    await li.press_data(f"q:{proposal_id}:zz")
    assert (await li.wait_callback_answer()).text == w.t("callback.unknown")
    assert await desk.rows("SELECT * FROM incidents") == []

    # The proposal survives a restart; its button still works.
    await desk.restart()
    await li.press(w.t("proposal.btn_declare"), message_id=card.message_id)
    reply = await expect(li, w.t("proposal.declared_reply", id=1, linked=6, headline="x")[:8])
    assert "已知：3栋" in (reply.text or "") and "停水" in (reply.text or "")
    incident = await desk.store.get_incident(1)
    assert incident is not None and incident.buildings == ("3",) and not incident.common_areas
    assert incident.category == "water_power" and incident.subcategory == "no_water"
    assert incident.texts["en"] == "No water" and incident.declared_by == LI_SUP
    assert len(await desk.store.linked_tickets(1)) == 6
    await desk.outbox_settled()
    decided = next(m for m in proposals_in(li) if m.message_id == card.message_id)
    assert "#1" in (decided.text or "") and li.button_labels(decided) == []
    # Each reporting owner is told their ticket is part of the known problem.
    for n in range(6):
        texts = [m.text or "" for m in fake.user(90_000 + n).messages]
        assert sum("part of a problem we already know about" in t for t in texts) == 1
    # A second press (a double tap, or another supervisor): decided once.
    await li.press_data(cb.encode(cb.ProposalPress(proposal_id, "d")))
    assert (await li.wait_callback_answer()).text == w.t("proposal.refused.decided")
    assert len(await desk.rows("SELECT * FROM incidents")) == 1

    # A seventh report now falls under the incident: no new proposal.
    await report(desk, fake, 6)
    await desk.outbox_settled()
    assert len(await desk.rows("SELECT * FROM incident_proposals")) == 1
    assert len(proposals_in(li)) == 1
    # Wang, maintenance staff of the estate but no supervisor, got no proposal.
    assert proposals_in(fake.user(WANG)) == []


def _two_make_a_cluster(data: dict[str, Any]) -> None:
    data.setdefault("incidents", {})["suggest_after"] = 2
    data["incidents"]["suggest_window"] = "20m"


async def test_not_related_keeps_the_cluster_quiet_for_the_window(
    fake: FakeBotApi, tmp_path: Any
) -> None:
    desk = Desk(fake, tmp_path, edit=_two_make_a_cluster)
    await desk.start()
    try:
        w = Words(desk.settings, "zh-Hans")
        li = fake.user(LI_SUP)
        await report(desk, fake, 0)
        await report(desk, fake, 1)
        card = await expect(li, PROPOSAL_MARK)
        await li.press(w.t("proposal.btn_dismiss"), message_id=card.message_id)
        assert (await li.wait_callback_answer()).text == w.t("proposal.dismissed_toast")
        edited = await li.wait_for_edit(card.message_id)
        assert li.button_labels(edited) == []
        # Within the window more reports make no new proposal and do not touch the old one.
        await report(desk, fake, 2)
        await report(desk, fake, 3)
        await desk.outbox_settled()
        assert len(proposals_in(li)) == 1
        assert len(await desk.rows("SELECT * FROM incident_proposals")) == 1
        # After it, two fresh reports are a new cluster again.
        await report(desk, fake, 4, minutes=25)
        await report(desk, fake, 5)
        await desk.outbox_settled()
        assert len(proposals_in(li)) == 2
        rows = await desk.rows("SELECT status FROM incident_proposals ORDER BY id")
        assert [r["status"] for r in rows] == ["dismissed", "open"]
        assert len(await desk.rows("SELECT * FROM incident_proposal_tickets")) == 2 + 2
    finally:
        await desk.stop()
