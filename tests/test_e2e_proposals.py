"""The bot proposes an incident, end to end: six owners report "no water" from building 3 in a
quarter of an hour → the maintenance supervisor gets one proposal (edited as reports come, not
six messages); declaring it declares the incident and links the reports; "not related" keeps
the cluster quiet for the window. Forged, stale and other people's presses are refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bot.reports.export import write_export
from bot.reports.incident_words import export_rows
from bot.tg import callbacks as cb
from tests.fakebot import FakeBotApi
from tests.harness import DEFAULT_NOW, Desk, Words, expect
from tests.test_e2e_staff import LI_SUP, LIU, WANG, file_ticket
from tests.test_reports_e2e import SHANGHAI, ensure_stats

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


def _three_make_a_cluster(data: dict[str, Any]) -> None:
    data.setdefault("incidents", {})["suggest_after"] = 3


async def test_stats_and_export_show_the_incident_and_its_hot_spot(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """Three reports → proposal → declared (3 linked); two more owners only subscribe; the
    all-clear 90 minutes after the last report. /stats counts 5 reports folded, 2 subscribers,
    1.6 h from the first report to the all-clear, and its hot spot (3 reports of water in
    3栋) points to the incident; the export has an incidents sheet."""
    desk = Desk(fake, tmp_path, edit=_three_make_a_cluster)
    await desk.start()
    try:
        ensure_stats(desk)
        w = Words(desk.settings, "zh-Hans")
        li = fake.user(LI_SUP)
        numbers = [(await report(desk, fake, n))["number"] for n in range(3)]
        card = await expect(li, PROPOSAL_MARK)
        await li.press(w.t("proposal.btn_declare"), message_id=card.message_id)
        await expect(li, "#1")
        for n in range(2):
            owner_id = 91_000 + n
            await desk.store.remember_home(owner_id, "harbour_view", "3", "0801", desk.clock())
            owner = fake.user(owner_id, language_code="zh-hans")
            await owner.command("/new")
            gate = await expect(owner, "已知：3栋")
            await owner.press(w.t("incident.btn_notify"), message_id=gate.message_id)
            await expect(owner, w.t("incident.subscribed"))
        desk.clock.advance(minutes=90)
        await li.command("/incident")
        await expect(li, w.t("incident.declare_more"))
        await li.press(w.t("incident.btn_all_clear"))
        await expect(li, w.t("incident.ask_all_clear"))
        await li.send("已恢复供水")
        await expect(li, w.t("incident.ask_translations").splitlines()[0])
        await li.press(w.t("flow.btn_skip"))
        await expect(li, w.t("incident.closed", id=1, tickets=3, people=2))
        await desk.outbox_settled()

        await li.command("/stats", "day")
        text = (await expect(li, w.t("report.title", period="2026-11-26"), wait=15)).text or ""
        assert (
            w.t(
                "report.incidents",
                count=1,
                closed=1,
                folded=5,
                linked=3,
                unticketed=2,
                subscribers=2,
                median="1.5 小时",
                longest="1.5 小时",
            ).split("·")[0]
            in text
        )
        assert "合并报事 5 条（关联工单 3 张 + 未报事订阅 2 位业主）· 订阅 2 位" in text
        assert (
            "• #1 海景花园 3栋 — 停水（水电）" in text and "11-26 10:03 起，1.6 小时后恢复" in text
        )
        hot = next(line for line in text.splitlines() if numbers[0] in line)
        assert hot.endswith(w.t("report.hot_incident", id=1)), hot

        # The export's incidents sheet.
        store = desk.store
        period_start, period_end = (
            DEFAULT_NOW - timedelta(hours=12),
            DEFAULT_NOW + timedelta(hours=12),
        )
        facts = await store.incident_facts(period_start, period_end)
        out = tmp_path / "export.xlsx"
        result = await write_export(
            store.export_chunks(period_start, period_end),
            out,
            "xlsx",
            SHANGHAI,
            incidents=export_rows(facts, SHANGHAI, "zh-Hans"),
        )
        assert result.rows["incidents"] == 1 and result.rows["tickets"] == 3
        sheet = load_workbook(out, read_only=True)["incidents"]
        header, row = list(sheet.iter_rows(values_only=True))
        values = dict(zip(header, row, strict=True))
        assert values["text"] == "停水" and values["buildings"] == "3"
        assert values["minutes_to_all_clear"] == 96 and values["reports_folded"] == 5
        assert (values["linked_tickets"], values["subscribers"]) == (3, 2)
    finally:
        await desk.stop()
