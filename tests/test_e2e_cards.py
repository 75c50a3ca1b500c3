"""The staff card at a glance, end to end: urgency mark first, the place in short, the owner's
name family name first, the deadline with the time left, the number last, and the owner's
photo carrying the card as its caption (edited in place as the ticket moves)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.fakebot import FakeBotApi
from tests.harness import Desk, Words, expect
from tests.test_e2e_limits import _resolve
from tests.test_e2e_staff import GROUP, WANG, file_ticket, zh


async def test_the_card_is_the_caption_of_the_owners_photo(desk: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(4701, first_name="美玲", last_name="陈", language_code="en")
    wang = fake.user(WANG)
    z = zh(desk)
    row = await file_ticket(desk, owner, photo=True)
    card = await wang.wait_for_message(
        lambda m: row["number"] in (m.text or "") and bool(m.buttons)
    )
    assert card.photos, "the card is the owner's photo with its caption"
    lines = (card.text or "").split("\n")
    assert lines[0].startswith("🟠 ")  # urgent, at a glance
    assert lines[1] == "📍 3栋 " + z.t("ticket.unit", unit="1502")  # 王师傅 covers one estate
    assert lines[2] == "📝 No water since this morning"
    assert "陈美玲" in (card.text or "") and "美玲 陈" not in (card.text or "")
    assert z.t("left.remaining", span=z.t("time.minutes", n=30)) in (card.text or "")
    assert lines[-1].endswith(row["number"])
    # No bare, uncaptioned photo before the card.
    photos = [r for r in fake.sent if r.chat_id == WANG and r.method == "sendPhoto"]
    assert len(photos) == 1 and photos[0].caption
    # The group's card is text, with the estate (the group covers both) and no flat.
    group = fake.group(GROUP)
    group_card = next(m for m in group.messages if row["number"] in (m.text or ""))
    assert not group_card.photos
    assert "3栋 · 海景花园" in (group_card.text or "") and "1502" not in (group_card.text or "")

    # Accepting edits the caption in place: now the fix-by time with the time left.
    await wang.press(z.t("card.btn_accept"), message_id=card.message_id)
    edited = await wang.wait_for_edit(card.message_id)
    assert z.t("card.btn_resolve") in edited.labels
    assert z.t("field.resolve_due") in (edited.text or "")
    assert z.t("left.remaining", span=z.t("time.days", n=1)) in (edited.text or "")
    assert any(r.method == "editMessageCaption" and r.chat_id == WANG for r in fake.sent)


async def test_a_long_description_gives_way_within_the_caption_limit(
    desk: Desk, fake: FakeBotApi
) -> None:
    owner = fake.user(4702, first_name="Mei", language_code="en")
    wang = fake.user(WANG)
    long = "水管一直在漏水，" * 240  # 1,920 characters
    row = await file_ticket(desk, owner, photo=True, description=long)
    card = await wang.wait_for_message(
        lambda m: row["number"] in (m.text or "") and bool(m.buttons)
    )
    text = card.text or ""
    assert card.photos and len(text) <= 1024
    assert "…" in text  # the description gave way, visibly
    assert zh(desk).t("field.accept_due") in text and text.endswith(row["number"])


async def test_an_owner_is_told_the_result_note_is_in_another_language(
    desk: Desk, fake: FakeBotApi
) -> None:
    owner = fake.user(4703, first_name="Mei", language_code="en")
    w = Words(desk.settings, "en")
    row = await file_ticket(desk, owner)
    await _resolve(desk, row["number"], "更换了门禁读卡器，已测试正常", photo=False)
    result = await owner.wait_for_message(lambda m: "更换了门禁读卡器" in (m.text or ""))
    assert w.t("notify.note_in.cjk").strip() in (result.text or "")
    # Thanks for the patience, and the rating question in the same message.
    assert "thank you for your patience" in (result.text or "")
    assert f"★★★★★ {w.t('survey.rating.5')}" in result.labels


async def test_owners_and_staff_read_no_iso_dates(desk: Desk, fake: FakeBotApi) -> None:
    owner = fake.user(4704, first_name="Mei", language_code="en")
    w = Words(desk.settings, "en")
    row = await file_ticket(desk, owner)
    confirmation = next(m for m in owner.messages if row["number"] in (m.text or ""))
    await owner.press(w.t("ticket.btn_view"), message_id=confirmation.message_id)
    details = await expect(owner, w.t("ticket.details_title", number=row["number"]))
    wang = fake.user(WANG)
    card = await wang.wait_for_message(lambda m: row["number"] in (m.text or ""))
    iso = re.compile(r"\d{4}-\d{2}-\d{2}")
    for text in (confirmation.text, details.text, card.text):
        assert text and not iso.search(text.replace(row["number"], "")), text
    assert w.t("when.today_day") in (details.text or "")  # the timeline: "today 10:00"


async def test_a_promise_over_national_day_says_when_and_why(desk: Desk, fake: FakeBotApi) -> None:
    desk.clock.now = datetime(2026, 9, 30, 9, 40, tzinfo=UTC)  # Wed 17:40 in Shanghai
    owner = fake.user(4705, first_name="Mei", language_code="en")
    z = zh(desk)
    row = await file_ticket(desk, owner, urgency="routine")
    confirmation = next(m for m in owner.messages if row["number"] in (m.text or ""))
    text = confirmation.text or ""
    assert "respond Thu 8 Oct by 10:10" in text  # not "within 2 business hours"
    assert "National Day holiday (1–7 Oct): only emergencies are handled" in text
    assert "fixed Fri 9 Oct by 17:40" in text
    assert desk.settings.hotline in text
    card = await fake.user(WANG).wait_for_message(lambda m: row["number"] in (m.text or ""))
    assert "10月8日（周四）10:10 前" in (card.text or "")
    assert z.t("left.remaining", span=z.t("time.days_hours", d=7, h=16)) in (card.text or "")
