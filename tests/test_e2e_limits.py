"""What real Telegram refuses, end to end: long ids, long lists and long texts from real configs.

The fake Bot API server checks every call against the Bot API schema and its limits, and
conftest fails a test that made a call Telegram would refuse; these tests drive the bot into
the places a big company's config.yaml or a wordy engineer used to push it past them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core.surveys import stars
from tests.fakebot import BotMessage, FakeBotApi
from tests.harness import Desk, Words, expect
from tests.test_e2e_staff import WANG, card_of, file_ticket, zh

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
async def make_desk(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[Callable[[Edit], Any]]:
    """Start the bot on the shipped config with an edit applied."""
    started: list[Desk] = []

    async def start(edit: Edit) -> Desk:
        desk = Desk(fake, tmp_path, edit=edit)
        await desk.start()
        started.append(desk)
        return desk

    yield start
    for desk in started:
        await desk.stop()


def _long_area_id(length: int) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        area = next(a for a in data["estates"][0]["areas"] if a["id"] == "hv-carpark")
        area["id"] = ("hv-carpark-" + "x" * length)[:length]

    return edit


@pytest.mark.parametrize("length", [47, 48])
async def test_an_area_id_of_any_allowed_length_fits_its_button(
    make_desk: Callable[[Edit], Any], fake: FakeBotApi, length: int
) -> None:
    """48 characters are allowed for area ids (deep links); the area question still works."""
    desk: Desk = await make_desk(_long_area_id(length))
    area_id = ("hv-carpark-" + "x" * length)[:length]
    user = fake.user(1101, language_code="en")
    w = Words(desk.settings, "en")
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("The car park lights are out")
    card = await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.building("harbour_view", "1"))
    await user.wait_for_edit(card.message_id)
    await user.send("101")
    await user.wait_for_edit(card.message_id)
    await user.press("✏️ " + w.t("field.location"))  # not a flat: a common area
    await user.wait_for_edit(card.message_id)
    await user.press(w.t("intake.place_common"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.estate("harbour_view"))
    await user.wait_for_edit(card.message_id)
    await user.press(w.t("intake.estate_grounds"))
    question = await user.wait_for_edit(card.message_id)
    assert w.t("intake.ask_area") in (question.text or "")
    assert all(len((d or "").encode()) <= 64 for d in question.callback_data)
    await user.press(w.area(area_id))
    await user.wait_for_edit(card.message_id)
    await user.press(w.t("flow.btn_skip"))
    summary = await user.wait_for_edit(card.message_id)
    assert w.t("intake.card_summary") in (summary.text or "")
    await user.press(w.t("flow.btn_submit"))
    await expect(user, w.t("intake.ask_phone"))
    await user.tap(w.t("flow.btn_skip"))
    await expect(user, "HV-")
    assert await desk.rows("SELECT area FROM tickets") == [{"area": area_id}]
    # Its QR code's link (and the "start again" button it offers mid-report) work as well.
    await user.command("/start", area_id)
    await expect(user, w.t("intake.ask_what"))
    await user.command("/start", area_id)
    await expect(user, w.t("flow.unfinished"))
    await user.press(w.t("flow.btn_restart"))
    await expect(user, w.t("intake.ask_what"))


def _big_estate(data: dict[str, Any]) -> None:
    data["estates"][0]["buildings"] = [
        {"id": str(n), "name": {"zh-Hans": f"{n}栋", "zh-Hant": f"第{n}座", "en": f"Block {n}"}}
        for n in range(1, 121)
    ]


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
async def test_an_estate_of_120_buildings_is_shown_a_page_at_a_time(
    make_desk: Callable[[Edit], Any], fake: FakeBotApi, lang: str
) -> None:
    """122 buttons on one message is "reply markup is too long": the list pages instead."""
    desk: Desk = await make_desk(_big_estate)
    user = fake.user(1102, language_code=lang.lower())
    w = Words(desk.settings, lang)
    await user.command("/new")
    await expect(user, w.t("intake.ask_what"))
    await user.send("No water in the kitchen")
    card = await expect(user, w.t("intake.ask_estate"))
    await user.press(w.estate("harbour_view"))
    question = await user.wait_for_edit(card.message_id)
    assert w.t("intake.ask_building") in (question.text or "")
    assert w.t("flow.page", page=1, pages=5, count=120) in (question.text or "")
    assert question.labels[:24] == [w.building("harbour_view", str(n)) for n in range(1, 25)]
    assert w.building("harbour_view", "25") not in question.labels
    # More ▸ turns the page on the same message, four times to the last page.
    for page in range(2, 6):
        await user.press(w.t("flow.btn_next_page"), message_id=question.message_id)
        turned = await user.wait_for_edit(question.message_id)
        assert w.t("flow.page", page=page, pages=5, count=120) in (turned.text or "")
    assert turned.labels[:24] == [w.building("harbour_view", str(n)) for n in range(97, 121)]
    assert w.t("flow.btn_next_page") not in turned.labels
    await user.press(w.t("flow.btn_prev_page"), message_id=question.message_id)
    turned = await user.wait_for_edit(question.message_id)
    assert w.building("harbour_view", "73") in turned.labels
    await user.press(w.building("harbour_view", "73"), message_id=question.message_id)
    shown = await user.wait_for_edit(card.message_id)
    assert w.t("intake.ask_unit") in (shown.text or "")
    # Typing the number or the name of one on another page picks it too.
    await user.press(w.t("flow.btn_back"))
    await user.wait_for_edit(card.message_id)
    await user.send("117")
    shown = await user.wait_for_edit(card.message_id)
    assert w.t("intake.ask_unit") in (shown.text or "")
    await user.press(w.t("flow.btn_back"))
    await user.wait_for_edit(card.message_id)
    await user.send(w.building("harbour_view", "118"))
    shown = await user.wait_for_edit(card.message_id)
    assert w.t("intake.ask_unit") in (shown.text or "")
    await user.send("1502")
    shown = await user.wait_for_edit(card.message_id)
    assert w.t("intake.card_summary") in (shown.text or "")
    await user.press(w.t("flow.btn_submit"))
    await expect(user, w.t("intake.ask_phone"))
    await user.tap(w.t("flow.btn_skip"))
    await expect(user, "HV-")
    assert await desk.rows("SELECT building FROM tickets") == [{"building": "118"}]


def _around(template: str) -> tuple[str, str]:
    """The fixed text before and after the one long field of a message template."""
    before, _, after = template.partition("\x00")
    return before, after


def RATING_LABELS(w: Words) -> list[str]:
    """The star buttons of the "resolved" message, best first."""
    return [f"{stars(r)} {w.t(f'survey.rating.{r}')}" for r in (5, 4, 3, 2, 1)]


async def _resolve(desk: Desk, number: str, note: str, *, photo: bool) -> None:
    """王师傅 accepts the ticket from his card and resolves it with ``note``."""
    wang, z = desk.fake.user(WANG), zh(desk)
    card = await card_of(wang, number)
    await wang.press(z.t("card.btn_accept"), message_id=card.message_id)
    await wang.wait_for_edit(card.message_id)
    await wang.press(z.t("card.btn_resolve"), message_id=card.message_id)
    await expect(wang, z.t("staff.ask_result", number=number))
    await wang.send(note)
    await expect(wang, z.t("staff.ask_result_photo"))
    if photo:
        await wang.send_photo()
        await expect(wang, z.t("flow.photos_count", count=1, max=1))
        await wang.press(z.t("flow.btn_done", count=1))
    else:
        await wang.press(z.t("flow.btn_no_photos"))
    await expect(wang, z.t("staff.resolve_summary", number=number))
    await wang.press(z.t("flow.btn_submit"))
    await expect(wang, z.t("staff.resolved", number=number))
    await desk.outbox_settled()


async def test_a_long_resolve_note_keeps_the_question_under_the_photo(
    desk: Desk, fake: FakeBotApi
) -> None:
    """A photo caption holds 1024 characters: the note gives way, never "Is it fixed?"."""
    owner = fake.user(1103, language_code="en")
    w = Words(desk.settings, "en")
    row = await file_ticket(desk, owner)
    note = "Replaced the valve. " * 50  # 1000 characters
    await _resolve(desk, row["number"], note.strip(), photo=True)
    result = await owner.wait_for_message(lambda m: "Replaced the valve" in (m.text or ""))
    before, after = _around(
        w.t("notify.owner.resolved", number=row["number"], note="\x00", note_language="")
    )
    text = result.text or ""
    assert result.photos and len(text) <= 1024
    assert text.startswith(before) and text.endswith(after), text
    assert text[len(before) : -len(after)].endswith("…")  # trimmed where it shows
    assert result.labels == [*RATING_LABELS(w), w.t("owner.btn_not_fixed")]
    stored = (await desk.rows("SELECT resolution_note FROM tickets"))[0]["resolution_note"]
    assert stored == note.strip()  # the whole note is kept, and /my shows it
    await owner.press(RATING_LABELS(w)[0], message_id=result.message_id)
    thanks = await owner.wait_for_edit(result.message_id)
    rated = w.t("survey.rated", number=row["number"], stars="★★★★★")
    assert (thanks.text or "").endswith(rated) and len(thanks.text or "") <= 1024


def _details(messages: list[BotMessage], title: str) -> tuple[str, BotMessage]:
    """The text of a ticket's details (in one message or several) and its last message."""
    start = max(i for i, m in enumerate(messages) if title in (m.text or ""))
    parts = messages[start:]
    return "\n".join(m.text or "" for m in parts), parts[-1]


async def test_long_description_and_note_keep_the_timeline(desk: Desk, fake: FakeBotApi) -> None:
    """/my and /ticket on a 2000-character description and note: all of it, and the buttons."""
    owner, wang = fake.user(1104, language_code="en"), fake.user(WANG)
    w, z = Words(desk.settings, "en"), zh(desk)
    description = ("The water pressure drops every evening. " * 50)[:2000].strip()
    row = await file_ticket(desk, owner, description=description)
    note = ("Replaced the pressure valve and flushed the pipes. " * 40)[:2000].strip()
    await _resolve(desk, row["number"], note, photo=False)
    await owner.command("/my")
    await expect(owner, w.t("my.title", first=1, last=1, total=1))
    await owner.press(row["number"])
    await expect(owner, w.t("ticket.timeline"))
    text, last = _details(owner.messages, w.t("ticket.details_title", number=row["number"]))
    assert description in text and note in text
    assert text.rstrip().splitlines()[-1].endswith(w.t("event.resolved"))  # the newest entry
    assert last.labels == [w.t("owner.btn_message"), w.t("my.back")]
    await wang.command("/ticket", row["number"])
    await expect(wang, z.t("ticket.timeline"))
    text, last = _details(wang.messages, z.t("ticket.details_title", number=row["number"]))
    assert description in text and note in text
    assert text.rstrip().splitlines()[-1].endswith(z.t("event.resolved"))
