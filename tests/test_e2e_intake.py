"""An owner files a report end to end: real PTB over HTTP against the fake Bot API server."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from bot.core.models import Outgoing
from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect

NUMBER = re.compile(r"HV-20261126-\d{4}")
LANG_CODES = {"en": "en", "zh-Hans": "zh-hans", "zh-Hant": "zh-hant"}


async def _start_report(user: Any, w: Words) -> None:
    await user.command("/start")
    await expect(user, w.settings.text(w.settings.company.name, w.lang))
    await user.press(w.t("menu.new"))
    await expect(user, w.t("intake.ask_category"))


async def _in_unit_until_summary(
    user: Any, w: Words, description: str = "Pipe burst under sink"
) -> None:
    """From the category question to the summary: water, burst pipe, my flat, emergency."""
    await user.press(w.category("water_power"))
    await expect(user, w.t("intake.ask_subcategory"))
    await user.press(w.sub("water_power", "burst_pipe"))
    await expect(user, w.t("intake.ask_where"))
    await user.press(w.t("intake.ask_where.unit"))
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await expect(user, w.t("intake.ask_building"))
    await user.press(w.building("harbour_view", "3"))
    await expect(user, w.t("intake.ask_unit"))
    await user.send("1502")
    await expect(user, w.t("intake.ask_urgency"))
    await user.press(w.urgency("emergency"))
    await expect(user, w.settings.hotline)  # the hotline comes at once
    await expect(user, w.t("intake.ask_description"))
    await user.send(description)
    await expect(user, w.t("intake.ask_photos", max=5))
    await user.send_photo()
    await expect(user, w.t("flow.photos_count", count=1, max=5))
    await user.press(w.t("flow.btn_done", count=1))
    await expect(user, w.t("intake.summary"))


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
async def test_owner_completes_a_report_in_each_language(
    desk: Desk, fake: FakeBotApi, lang: str
) -> None:
    user = fake.user(1001, first_name="Mei", language_code=LANG_CODES[lang])
    w = Words(desk.settings, lang)
    await _start_report(user, w)
    await _in_unit_until_summary(user, w)
    summary = user.last
    assert w.sub("water_power", "burst_pipe") in summary.text
    assert "1502" in summary.text
    await user.press(w.t("flow.btn_submit"))
    confirmation = await expect(user, w.t("ticket.created", number="HV-").split("HV-")[0][:6])
    number = NUMBER.search(confirmation.text or "")
    assert number is not None, confirmation.text
    # An emergency's promise is told as a time of today, with the hotline.
    today_by = re.escape(w.t("when.today", time="HH:MM")).replace("HH:MM", r"\d\d:\d\d")
    assert re.search(today_by, confirmation.text or ""), confirmation.text
    assert desk.settings.hotline in (confirmation.text or "")

    rows = await desk.rows("SELECT * FROM tickets")
    assert len(rows) == 1
    ticket = rows[0]
    assert ticket["number"] == number.group(0)
    assert (
        ticket["category"],
        ticket["subcategory"],
        ticket["estate"],
        ticket["building"],
        ticket["unit"],
        ticket["area"],
        ticket["urgency"],
        ticket["status"],
        ticket["language"],
        ticket["owner_id"],
        ticket["department"],
        ticket["assignee_id"],
    ) == (
        "water_power",
        "burst_pipe",
        "harbour_view",
        "3",
        "1502",
        None,
        "emergency",
        "assigned",
        lang,
        1001,
        "maintenance",
        7034518826,
    )  # Thursday 10:00: Wang's day shift
    assert ticket["description"] == "Pipe burst under sink"
    assert len(eval(ticket["photos"])) == 1  # a JSON list of one file_id
    created = desk.clock()
    assert ticket["accept_due"] == (created + timedelta(minutes=5)).isoformat(
        timespec="microseconds"
    )
    assert await desk.rows("SELECT * FROM conversations") == []
    events = await desk.rows("SELECT kind, actor_id FROM ticket_events ORDER BY id")
    assert events == [{"kind": "created", "actor_id": 1001}, {"kind": "assigned", "actor_id": None}]
    await desk.outbox_settled()
    outbox = await desk.rows("SELECT status, chat_id FROM outbox ORDER BY id")
    # The owner's confirmation, then the engineer's card as the caption of the owner's photo,
    # and a card without the photo (the owner's home) for the maintenance group.
    assert outbox == [
        {"status": "sent", "chat_id": 1001},
        {"status": "sent", "chat_id": 7034518826},
        {"status": "sent", "chat_id": -1001234567890},
    ]
    people = await desk.rows("SELECT first_name, language_code FROM users")
    assert people == [{"first_name": "Mei", "language_code": LANG_CODES[lang]}]


async def test_edit_from_summary_and_common_area(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1002, language_code="en")
    w = Words(desk.settings, "en")
    await _start_report(user, w)
    await user.press(w.category("cleaning"))
    await expect(user, w.t("intake.ask_where"))  # cleaning has no subcategories
    await user.press(w.t("intake.ask_where.common"))
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("emerald_lake"))
    await expect(user, w.t("intake.ask_area_building"))
    await user.press(w.t("intake.estate_grounds"))
    await expect(user, w.t("intake.ask_area"))
    await user.press(w.area("el-carpark"))
    await expect(user, w.t("intake.ask_detail"))
    await user.press(w.t("flow.btn_skip"))
    await expect(user, w.t("intake.ask_urgency"))
    await user.press(w.urgency("routine"))
    await expect(user, w.t("intake.ask_description"))
    await user.send("Rubbish left by the ramp")
    await expect(user, w.t("intake.ask_photos", max=5))
    await user.press(w.t("flow.btn_no_photos"))
    await expect(user, w.t("intake.summary"))
    # Change the description: one question, then back to the summary.
    await user.press(w.t("flow.btn_edit"))
    await expect(user, w.t("flow.edit_which"))
    await user.press(w.t("field.description"))
    await expect(user, w.t("intake.ask_description"))
    await user.send("Rubbish and oil by the ramp")
    summary = await expect(user, w.t("intake.summary"))
    assert "Rubbish and oil by the ramp" in (summary.text or "")
    # Change where: the flat questions are asked, the area answers are dropped.
    await user.press(w.t("flow.btn_edit"))
    await expect(user, w.t("flow.edit_which"))
    await user.press(w.t("field.where"))
    await expect(user, w.t("intake.ask_where"))
    await user.press(w.t("intake.ask_where.unit"))
    await expect(user, w.t("intake.ask_building"))
    await user.press(w.building("emerald_lake", "B"))
    await expect(user, w.t("intake.ask_unit"))
    await user.send("B-802")
    summary = await expect(user, w.t("intake.summary"))
    assert "B-802" in (summary.text or "") and w.area("el-carpark") not in (summary.text or "")
    await user.press(w.t("flow.btn_submit"))
    await expect(user, "HV-")
    rows = await desk.rows("SELECT estate, building, unit, area, description, urgency FROM tickets")
    assert rows == [
        {
            "estate": "emerald_lake",
            "building": "B",
            "unit": "B-802",
            "area": None,
            "description": "Rubbish and oil by the ramp",
            "urgency": "routine",
        }
    ]


async def test_back_keeps_answers(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1003, language_code="en")
    w = Words(desk.settings, "en")
    await _start_report(user, w)
    await user.press(w.category("lift"))
    await expect(user, w.t("intake.ask_subcategory"))
    await user.press(w.sub("lift", "out_of_order"))
    await expect(user, w.t("intake.ask_where"))
    await user.press(w.t("intake.ask_where.common"))
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.t("flow.btn_back"))
    await expect(user, w.t("intake.ask_where"))
    await user.press(w.t("flow.btn_back"))
    await expect(user, w.t("intake.ask_subcategory"))
    state = (await desk.rows("SELECT state FROM conversations"))[0]["state"]
    assert '"where": "common"' in state and '"step": "subcategory"' in state


async def test_cancel_by_button_and_command(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1004, language_code="en")
    w = Words(desk.settings, "en")
    await _start_report(user, w)
    await user.press(w.category("noise"))
    await expect(user, w.t("intake.ask_where"))
    await user.press(w.t("flow.btn_cancel"))
    await expect(user, w.t("flow.cancelled_long"))
    assert await desk.rows("SELECT * FROM conversations") == []
    await user.command("/new")
    await expect(user, w.t("intake.ask_category"))
    await user.command("/cancel")
    await expect(user, w.t("flow.cancelled_long"))
    await user.command("/cancel")
    await expect(user, w.t("cancel.nothing"))
    assert await desk.rows("SELECT * FROM tickets") == []


async def test_deep_link_fills_the_location(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1005, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/start", "hv-3-lifts")
    await expect(user, w.t("intake.ask_category"))
    await user.press(w.category("lift"))
    await expect(user, w.t("intake.ask_subcategory"))
    await user.press(w.sub("lift", "trapped"))
    await expect(user, w.t("intake.ask_detail"))  # where, estate, building and area are known
    await user.send("Lift B, stuck between 7 and 8")
    await expect(user, w.t("intake.ask_urgency"))
    await user.press(w.urgency("emergency"))
    await expect(user, w.t("intake.ask_description"))
    await user.send("Two people inside, the alarm rings")
    await expect(user, w.t("intake.ask_photos", max=5))
    await user.press(w.t("flow.btn_no_photos"))
    summary = await expect(user, w.t("intake.summary"))
    assert w.area("hv-3-lifts") in (summary.text or "")
    await user.press(w.t("flow.btn_submit"))
    await expect(user, "HV-")
    rows = await desk.rows("SELECT estate, building, area, location_detail, unit FROM tickets")
    assert rows == [
        {
            "estate": "harbour_view",
            "building": "3",
            "area": "hv-3-lifts",
            "location_detail": "Lift B, stuck between 7 and 8",
            "unit": None,
        }
    ]


async def test_unknown_deep_link_is_explained(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1006, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/start", "no-such-place")
    await expect(user, w.t("start.unknown_link"))
    assert await desk.rows("SELECT * FROM conversations") == []


async def test_restart_mid_flow_resumes_with_answers(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1007, language_code="zh-hant")
    w = Words(desk.settings, "zh-Hant")
    await _start_report(user, w)
    await user.press(w.category("water_power"))
    await expect(user, w.t("intake.ask_subcategory"))
    await user.press(w.sub("water_power", "no_water"))
    await expect(user, w.t("intake.ask_where"))
    await user.press(w.t("intake.ask_where.unit"))
    await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await expect(user, w.t("intake.ask_building"))
    await desk.restart()
    # The old question's buttons still work after the restart.
    await user.press(w.building("harbour_view", "2"))
    await expect(user, w.t("intake.ask_unit"))
    await user.send("2-301")
    await expect(user, w.t("intake.ask_urgency"))
    await user.press(w.urgency("urgent"))
    await expect(user, w.t("intake.ask_description"))
    await user.send("整棟樓都沒有水")
    await expect(user, w.t("intake.ask_photos", max=5))
    await desk.restart()
    await user.press(w.t("flow.btn_no_photos"))
    await expect(user, w.t("intake.summary"))
    await user.press(w.t("flow.btn_submit"))
    await expect(user, "HV-")
    rows = await desk.rows("SELECT subcategory, building, unit, urgency, description FROM tickets")
    assert rows == [
        {
            "subcategory": "no_water",
            "building": "2",
            "unit": "2-301",
            "urgency": "urgent",
            "description": "整棟樓都沒有水",
        }
    ]


async def test_submit_twice_opens_one_ticket(desk: Desk, fake: FakeBotApi) -> None:
    user = fake.user(1008, language_code="en")
    w = Words(desk.settings, "en")
    await _start_report(user, w)
    await _in_unit_until_summary(user, w)
    summary = user.last
    data = summary.data_for(w.t("flow.btn_submit"))
    await user.press_data(data, message_id=summary.message_id)
    await user.press_data(data, message_id=summary.message_id)
    await expect(user, "HV-")
    await user.wait_idle()
    assert len(await desk.rows("SELECT id FROM tickets")) == 1
    answers = [a for a in fake.callback_answers if a.text]
    assert any(w.t("flow.stale_conversation") == a.text for a in answers)


async def test_the_ticket_number_does_not_queue_behind_notices_to_others(
    desk: Desk, fake: FakeBotApi
) -> None:
    """120 notices to other people are queued (over four seconds at Telegram's overall pace);
    the owner who just pressed Submit gets their number at once, not after them."""
    user = fake.user(1001, first_name="Mei", language_code="en")
    w = Words(desk.settings, "en")
    await _start_report(user, w)
    await _in_unit_until_summary(user, w)
    others = [fake.user(8_400_000 + i, first_name=f"Other{i}") for i in range(120)]
    await desk.store.enqueue(
        [Outgoing(o.id, f"Notice {i}: water off tomorrow") for i, o in enumerate(others)],
        desk.clock(),
    )
    await user.press(w.t("flow.btn_submit"))
    confirmation = await user.wait_for_message(lambda m: bool(NUMBER.search(m.text or "")))
    delivered = sum(1 for o in others if o.messages)
    assert delivered < 80, f"the number waited for {delivered} notices"
    assert NUMBER.search(confirmation.text or "")
    # The notices still all go out, in their turn.
    await desk.outbox_settled()
    assert all(o.messages for o in others)
    # Sent once: the worker did not send it again.
    assert len([m for m in user.messages if NUMBER.search(m.text or "")]) == 1
