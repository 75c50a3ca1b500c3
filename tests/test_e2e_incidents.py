"""Known incidents end to end: staff declare them with /incident, owners in scope read them
before a report and ask to be told, staff link tickets and give the all-clear — each waiting
owner hears it once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.core.incidents import Incident
from bot.tg import callbacks as cb
from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.test_store_contract import draft, no_effects

WANG = 7034518826  # maintenance staff, harbour_view only
LIU = 7129046613  # maintenance staff, emerald_lake only
GROUP = -1001234567890  # maintenance's staff group


async def declare_through_the_flow(user: Any, w: Words) -> Any:
    """/incident → declare: 3栋 and its common areas, 停水; an empty scope, a translation in
    a language we do not speak and an ETA in the past are each sent back, then fixed."""
    await user.command("/incident")
    await expect(user, w.t("incident.none_open"))
    await user.press(w.t("incident.btn_declare"))
    await expect(user, w.t("incident.ask_buildings"))
    await user.press(w.t("flow.btn_done", count=0))  # nothing picked: an empty scope
    await expect(user, w.t("incident.ask_common"))
    await user.press(w.t("incident.ask_common.yes"))
    await expect(user, w.t("incident.ask_category"))
    await user.press(w.category("water_power"))
    await expect(user, w.t("incident.ask_text"))
    await user.send_sticker()
    await expect(user, w.t("flow.unsupported", what=w.t("input.sticker")))
    await user.send("x" * 10_000)
    await expect(user, w.t("flow.too_long", length=10_000, max=200))
    await user.send("停水")
    await expect(user, w.t("incident.ask_translations").splitlines()[0])
    await user.send("fr: pas d'eau")
    await expect(user, w.t("incident.ask_eta"))
    await user.press(w.t("incident.ask_eta.typed"))
    await expect(user, w.t("incident.ask_eta_time"))
    await user.send("09:00")  # the clock stands at 10:00
    await expect(user, w.t("incident.ask_confirm"))
    await user.press(w.t("flow.btn_submit"))
    # What is wanting is asked again, one at a time, with the other answers kept.
    await expect(user, w.t("incident.refused.empty_scope"))
    await expect(user, w.t("incident.ask_buildings"))
    await user.press(w.building("harbour_view", "3"))
    await user.wait_idle()
    await user.press(w.t("flow.btn_done", count=1))
    await expect(user, w.t("incident.ask_confirm"))
    await user.press(w.t("flow.btn_submit"))
    await expect(user, w.t("incident.bad_translations"))
    await expect(user, w.t("incident.ask_translations").splitlines()[0])
    await user.send("en: no water")
    await expect(user, w.t("incident.ask_confirm"))
    await user.press(w.t("flow.btn_submit"))
    await expect(user, w.t("incident.refused.eta_past"))
    await expect(user, w.t("incident.ask_eta"))
    await user.press(w.t("incident.ask_eta.h2"))
    await expect(user, w.t("incident.ask_confirm"))
    await user.press(w.t("flow.btn_submit"))
    return await expect(user, w.t("incident.declared"))


async def test_staff_declare_with_bad_input_refused_and_no_duplicate(
    desk: Desk, fake: FakeBotApi
) -> None:
    w = Words(desk.settings, "zh-Hans")
    wang = fake.user(WANG)
    declared = await declare_through_the_flow(wang, w)
    assert "已知：3栋及公共区域 10:00 起停水，预计 12:00 恢复" in declared.text
    rows = await desk.rows("SELECT * FROM incidents")
    assert len(rows) == 1
    incident = await desk.store.get_incident(rows[0]["id"])
    assert incident is not None
    assert (incident.buildings, incident.common_areas) == (("3",), True)
    assert incident.texts == {"zh-Hans": "停水", "en": "no water"}
    assert incident.eta == desk.clock() + timedelta(hours=2)
    assert incident.department == "maintenance" and incident.declared_by == WANG
    # The department's group hears of it once.
    group = fake.group(GROUP)
    await desk.outbox_settled()
    assert sum("#1" in (m.text or "") for m in group.messages) == 1

    # A second incident for the same place and category: the first is offered instead.
    await wang.command("/incident")
    await expect(wang, w.t("incident.declare_more"))
    await wang.press(w.t("incident.btn_declare"))
    await expect(wang, w.t("incident.ask_buildings"))
    await wang.press(w.building("harbour_view", "3"))
    await wang.wait_idle()
    await wang.press(w.building("harbour_view", "4"))
    await wang.wait_idle()
    await wang.press(w.t("flow.btn_done", count=2))
    await expect(wang, w.t("incident.ask_common"))
    await wang.press(w.t("incident.ask_common.no"))
    await expect(wang, w.t("incident.ask_category"))
    await wang.press(w.category("water_power"))
    await expect(wang, w.t("incident.ask_text"))
    await wang.send("又停水")
    await expect(wang, w.t("incident.ask_translations").splitlines()[0])
    await wang.press(w.t("flow.btn_skip"))
    await expect(wang, w.t("incident.ask_eta"))
    await wang.press(w.t("incident.ask_eta.none"))
    await expect(wang, w.t("incident.ask_confirm"))
    await wang.press(w.t("flow.btn_submit"))
    offer = await expect(wang, w.t("incident.refused.duplicate"))
    assert w.t("incident.btn_update") in wang.button_labels(offer)
    assert len(await desk.rows("SELECT * FROM incidents")) == 1

    # Staff of another estate neither see it nor can touch it; an owner cannot declare.
    liu = fake.user(LIU)
    await liu.command("/incident")
    await expect(liu, w.t("incident.none_open"))
    await liu.press_data(cb.encode(cb.IncidentPress(incident.id, "clr")))
    answer = await liu.wait_callback_answer()
    assert answer.text == w.t("incident.refused.not_allowed")
    await liu.press(w.t("incident.btn_declare"))
    await expect(liu, w.t("incident.ask_buildings"))  # his only estate, emerald_lake
    assert w.building("harbour_view", "3") not in liu.button_labels()
    owner = fake.user(3001, language_code="zh-hans")
    await owner.command("/incident")
    await expect(owner, w.t("incident.staff_only"))
    await owner.press_data(cb.encode(cb.IncidentPress(incident.id, "upd")))
    assert (await owner.wait_callback_answer()).text == w.t("incident.staff_only")
    await desk.outbox_settled()
    assert sum("#" in (m.text or "") for m in group.messages) == 1  # nothing more sent
    stored = await desk.store.get_incident(incident.id)
    assert stored == incident


async def _building_3_owners(desk: Desk, fake: FakeBotApi, count: int) -> list[Any]:
    """``count`` owners with a remembered home in 3栋 (the homes table, as earlier reports
    left it)."""
    owners = []
    for n in range(count):
        owner_id = 80_000 + n
        await desk.store.remember_home(
            owner_id, "harbour_view", "3", f"{n + 1:02d}01", desk.clock()
        )
        owners.append(fake.user(owner_id, language_code="zh-hans"))
    return owners


async def test_forty_owners_ten_reports_no_ticket_all_clear_once_each(
    desk: Desk, fake: FakeBotApi
) -> None:
    w = Words(desk.settings, "zh-Hans")
    owners = await _building_3_owners(desk, fake, 40)
    wang = fake.user(WANG)
    await declare_through_the_flow(wang, w)
    reporters = owners[:10]
    for owner in reporters:
        await owner.command("/new")
        gate = await expect(owner, "已知：3栋及公共区域 10:00 起停水，预计 12:00 恢复")
        await owner.press(w.t("incident.btn_notify"), message_id=gate.message_id)
        await expect(owner, w.t("incident.subscribed"))
    # Pressed twice (a double tap): told once, subscribed once.
    await reporters[0].press_data(cb.encode(cb.IncidentPress(1, "sub")))
    answer = await reporters[0].wait_callback_answer()
    assert answer.text == w.t("incident.already_subscribed")
    assert await desk.rows("SELECT id FROM tickets") == []
    assert len(await desk.rows("SELECT * FROM incident_subscribers")) == 10
    assert await desk.rows("SELECT * FROM conversations") == []
    # "Another problem" goes on to the usual report.
    other = owners[10]
    await other.command("/new")
    await expect(other, w.t("incident.gate_hint"))
    await other.press(w.t("incident.btn_other"))
    await expect(other, w.t("intake.ask_what"))
    await other.send("家里没水了，水龙头一滴都没有")  # the place is proposed: their home in 3栋
    await other.wait_idle()
    assert sum("已知：" in (m.text or "") for m in other.messages) == 1  # not shown again
    assert await desk.rows("SELECT chat_id FROM conversations") == [{"chat_id": other.id}]
    # A QR code in building 5's lobby is outside the incident: straight to the report.
    passer = fake.user(81_000, language_code="en")
    await passer.command("/start", "hv-5-lobby")
    await expect(passer, Words(desk.settings, "en").t("intake.ask_what"))
    visitor = fake.user(81_001, language_code="en")
    await visitor.command("/start", "hv-3-lobby")  # building 3's lobby: inside it
    await expect(visitor, "Known: Block 3 and common areas, no water since 10:00")

    # The ETA moves: each subscriber hears it once.
    await wang.command("/incident")
    await expect(wang, w.t("incident.declare_more"))
    await wang.press(w.t("incident.btn_update"))
    await expect(wang, w.t("incident.ask_note"))
    await wang.send("水泵配件在路上")
    await expect(wang, w.t("incident.ask_new_eta"))
    await wang.press(w.t("incident.ask_new_eta.typed"))
    await expect(wang, w.t("incident.ask_eta_time"))
    await wang.send("25:99")
    await expect(wang, w.t("incident.bad_time"))
    await expect(wang, w.t("incident.ask_eta_time"))
    await wang.send("14:00")
    await expect(wang, w.t("incident.updated"))
    # The all-clear.
    await wang.command("/incident")
    await expect(wang, w.t("incident.declare_more"))
    await wang.press(w.t("incident.btn_all_clear"))
    await expect(wang, w.t("incident.ask_all_clear"))
    await wang.send("已恢复供水，如水质浑浊请先放水几分钟")
    await expect(wang, w.t("incident.ask_translations").splitlines()[0])
    await wang.press(w.t("flow.btn_skip"))
    await expect(wang, w.t("incident.closed", id=1, tickets=0, people=10))
    await desk.outbox_settled()
    for owner in reporters:
        texts = [m.text or "" for m in owner.messages]
        assert sum("已恢复供水" in t for t in texts) == 1, texts
        assert sum("水泵配件在路上" in t for t in texts) == 1, texts
    for owner in owners[11:]:
        assert owner.messages == []
    # A restart finishes nothing twice.
    await desk.restart()
    await desk.outbox_settled()
    for owner in reporters:
        assert sum("已恢复供水" in (m.text or "") for m in owner.messages) == 1
    assert await desk.rows("SELECT id FROM tickets WHERE owner_id < 81000") == []


async def test_linked_tickets_are_told_and_end_with_the_incident(
    desk: Desk, fake: FakeBotApi
) -> None:
    w = Words(desk.settings, "zh-Hans")
    owner = fake.user(4001, language_code="zh-hans")
    store = desk.store
    now = desk.clock()
    await store.save_conversation(owner.id, owner.id, {"flow": "intake", "token": "x"}, now)
    ticket = await store.create_ticket(
        draft(
            owner=owner.id,
            at=now,
            category="water_power",
            department="maintenance",
            building="3",
            language="zh-Hans",
        ),
        number_for=lambda n: f"HV-20261126-{n:04d}",
        chat_id=owner.id,
        token="x",
        effects=no_effects,
        day_key="20261126",
    )
    assert ticket is not None
    incident = await store.declare_incident(
        Incident(
            estate="harbour_view",
            buildings=("3",),
            common_areas=False,
            category="water_power",
            subcategory=None,
            department="maintenance",
            texts={"zh-Hans": "停水"},
            started_at=now,
            eta=now + timedelta(hours=3),
            declared_by=WANG,
        ),
        [],
        now,
    )
    wang = fake.user(WANG)
    await wang.command("/incident")
    await expect(wang, w.t("incident.declare_more"))
    await wang.press(w.t("incident.btn_link"))
    listing = await expect(wang, w.t("incident.linkable", id=incident.id, count=1, linked=0))
    await wang.press(f"🔗 {ticket.number}", message_id=listing.message_id)
    answer = await wang.wait_callback_answer()
    assert answer.text == w.t("incident.linked_toast", number=ticket.number)
    await wang.wait_for_edit(listing.message_id)
    await expect(owner, f"您的工单 {ticket.number} 属于我们已知的问题")
    # A forged second tap links nothing twice.
    await wang.press_data(cb.encode(cb.IncidentPress(incident.id, f"t{ticket.id}")))
    answer = await wang.wait_callback_answer()
    assert answer.text == w.t("incident.refused.ticket_gone") or answer.text == w.t(
        "incident.refused.already_linked"
    )
    await wang.command("/incident")
    await expect(wang, w.t("incident.declare_more"))
    await wang.press(w.t("incident.btn_all_clear"))
    await expect(wang, w.t("incident.ask_all_clear"))
    await wang.send("已恢复供水")
    await expect(wang, w.t("incident.ask_translations").splitlines()[0])
    await wang.press(w.t("flow.btn_skip"))
    await expect(wang, w.t("incident.closed", id=incident.id, tickets=1, people=0))
    resolved = await expect(owner, ticket.number)
    while "已恢复供水" not in (resolved.text or ""):
        resolved = await expect(owner, ticket.number)
    assert any("★" in label for label in owner.button_labels(resolved))  # the rating
    after = await store.get_ticket(ticket.id)
    assert after is not None and after.status.value == "resolved"
    kinds = [e.kind for e in await store.ticket_events(ticket.id)]
    assert kinds[-2:] == ["incident_linked", "resolved"]
    assert [s.status for s in await store.surveys_pending(ticket.id)] == ["scheduled"]


async def test_a_first_report_meets_the_incident_once_its_place_is_chosen(
    desk: Desk, fake: FakeBotApi
) -> None:
    w = Words(desk.settings, "en")
    now = desk.clock()
    incident = await desk.store.declare_incident(
        Incident(
            estate="harbour_view",
            buildings=("3",),
            common_areas=False,
            category="water_power",
            subcategory=None,
            department="maintenance",
            texts={"zh-Hans": "停水", "en": "no water"},
            started_at=now,
            eta=now + timedelta(hours=3),
            declared_by=WANG,
        ),
        [],
        now,
    )
    # A first-time owner: no home known, so nothing is shown before the report.
    owner = fake.user(5001, language_code="en")
    await owner.command("/new")
    await expect(owner, w.t("intake.ask_what"))
    await owner.send("No water in the kitchen since this morning")
    card = await expect(owner, w.t("intake.ask_estate"))
    await owner.press(w.estate("harbour_view"))
    await owner.wait_for_edit(card.message_id)
    await owner.press(w.building("harbour_view", "3"))
    gate = await expect(owner, "Known: Block 3, no water since 10:00")
    assert w.t("incident.gate_hint_mid") in (gate.text or "")
    await owner.press(w.t("incident.btn_notify"), message_id=gate.message_id)
    await expect(owner, w.t("incident.subscribed_mid"))
    assert await desk.rows("SELECT * FROM conversations") == []
    assert await desk.store.subscribers(incident.id) == [owner.id]
    # The dropped report's card has no working buttons left; nothing was filed.
    await owner.wait_idle()
    shown = next(m for m in fake.chat_messages(owner.id) if m.message_id == card.message_id)
    assert not shown.buttons
    assert await desk.rows("SELECT id FROM tickets") == []

    # Another owner in building 5 reporting the same: no gate (out of scope), the report goes on.
    other = fake.user(5002, language_code="en")
    await other.command("/new")
    await expect(other, w.t("intake.ask_what"))
    await other.send("No water in the kitchen since this morning")
    card = await expect(other, w.t("intake.ask_estate"))
    await other.press(w.estate("harbour_view"))
    await other.wait_for_edit(card.message_id)
    await other.press(w.building("harbour_view", "5"))
    await other.wait_for_edit(card.message_id)
    await other.wait_idle()
    assert not any("Known:" in (m.text or "") for m in other.messages)


async def test_per_subscriber_each_waiting_owner_rates_the_all_clear_once(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    def per_subscriber(data: dict[str, Any]) -> None:
        data.setdefault("incidents", {})["surveys"] = "per_subscriber"

    desk = Desk(fake, tmp_path, edit=per_subscriber)
    await desk.start()
    try:
        w = Words(desk.settings, "zh-Hans")
        owners = await _building_3_owners(desk, fake, 2)
        wang = fake.user(WANG)
        await declare_through_the_flow(wang, w)
        for owner in owners:
            await owner.command("/new")
            await expect(owner, w.t("incident.gate_hint"))
            await owner.press(w.t("incident.btn_notify"))
            await expect(owner, w.t("incident.subscribed"))
        await wang.command("/incident")
        await expect(wang, w.t("incident.declare_more"))
        await wang.press(w.t("incident.btn_all_clear"))
        await expect(wang, w.t("incident.ask_all_clear"))
        await wang.send("已恢复供水")
        await expect(wang, w.t("incident.ask_translations").splitlines()[0])
        await wang.press(w.t("flow.btn_skip"))
        clear = await expect(owners[0], w.t("incident.ask_rating"))
        await owners[0].press("★★★★☆", message_id=clear.message_id)
        assert (await owners[0].wait_callback_answer()).text == w.t("incident.rated")
        await owners[0].press_data(cb.encode(cb.IncidentPress(1, "r1")))
        assert (await owners[0].wait_callback_answer()).text == w.t("incident.rated_already")
        assert await desk.store.incident_ratings(1) == [(owners[0].id, 4)]
        await expect(owners[1], w.t("incident.ask_rating"))
    finally:
        await desk.stop()
