"""The notice form and its checks (bot/core/announcements.py): pure, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.core.announcements import (
    NoticeCounts,
    in_scope,
    owner_text,
    parse_form,
    parse_time,
    status_text,
)
from bot.loading import load_all
from bot.texts import default_catalog
from tests.harness import ROOT

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai
FORM = """estate: 海景花园
buildings: 3栋、5
kind: 计划
start: 11-27 09:00
end: 11-27 17:00
send: now
text: 停水检修
请提前储水
text.en: Water off"""


@pytest.fixture(scope="module")
def settings() -> Settings:
    loaded, _ = load_all(ROOT / "config.yaml")
    return loaded


def local(settings: Settings, text: str) -> datetime:
    moment = parse_time(text, settings, NOW)
    assert moment is not None
    return moment


def test_a_form_in_chinese_or_english_keys_reads_alike(settings: Settings) -> None:
    notice, error = parse_form(FORM, settings, NOW, 7)
    assert error is None and notice is not None
    assert (notice.estate, notice.buildings, notice.kind) == ("harbour_view", ("3", "5"), "planned")
    assert notice.texts == {"zh-Hans": "停水检修\n请提前储水", "en": "Water off"}
    assert notice.starts_at == local(settings, "2026-11-27 09:00")
    assert notice.expires_at == notice.ends_at == local(settings, "11-27 17:00")
    assert notice.send_at == NOW and notice.created_by == 7
    english = FORM.replace("estate: 海景花园", "estate: harbour_view").replace("kind: 计划", "")
    again, _ = parse_form(
        english.replace("buildings: 3栋、5", "buildings: Block 3, 5"), settings, NOW, 7
    )
    assert again is not None and again.buildings == ("3", "5") and again.kind == "planned"
    every, _ = parse_form(FORM.replace("buildings: 3栋、5", "楼栋: 全部"), settings, NOW, 7)
    assert every is not None and every.buildings == ()
    assert in_scope(every, "harbour_view", "6") and not in_scope(notice, "harbour_view", "6")


def test_times_are_read_in_the_estates_zone(settings: Settings) -> None:
    assert local(settings, "09:00") == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert local(settings, "明天 9:00") == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert local(settings, "2027/01/02 18:30") == datetime(2027, 1, 2, 10, 30, tzinfo=UTC)
    for bad in ("25:00", "02-30 09:00", "soon", "9", ""):
        assert parse_time(bad, settings, NOW) is None, bad


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("buildings: 3栋、5", "buildings:", "no_scope"),
        ("buildings: 3栋、5", "buildings: 3, 99", "building"),
        ("estate: 海景花园", "estate: Atlantis", "estate"),
        ("kind: 计划", "kind: maybe", "kind"),
        ("start: 11-27 09:00", "start: next week", "time"),
        ("start: 11-27 09:00\n", "", "no_start"),
        ("end: 11-27 17:00", "end: 11-27 08:00", "end_before_start"),
        ("send: now", "send: 11-26 09:00", "send_past"),
        ("send: now", "send: 11-27 18:00", "send_after_expiry"),
        ("end: 11-27 17:00", "end: 11-27 17:00\nexpires: 11-26 09:59", "expiry_past"),
        ("text: 停水检修\n请提前储水\n", "", "no_text"),
        ("text.en: Water off", "text.fr: Eau coupée", "language"),
        ("kind: 计划", "kind: 计划\nwhatever", "line"),
        ("text.en: Water off", "text.en: " + "x" * 10_000, "too_long"),
    ],
)
def test_bad_forms_say_what_is_wrong(settings: Settings, old: str, new: str, code: str) -> None:
    form = FORM.replace(old, new)
    assert form != FORM
    notice, error = parse_form(form, settings, NOW, 7)
    assert notice is None and error is not None and error.code == code
    catalog = default_catalog()
    for lang in settings.languages:  # every refusal has its words in every language
        assert catalog.text(lang, f"notice.err_{code}", **error.params)


def test_an_emergency_needs_no_start_and_omits_the_off_hint(settings: Settings) -> None:
    form = FORM.replace("kind: 计划", "kind: emergency").replace("start: 11-27 09:00\n", "")
    notice, error = parse_form(form.replace("end: 11-27 17:00\n", ""), settings, NOW, 7)
    assert error is None and notice is not None and notice.urgent
    assert notice.starts_at == NOW and notice.expires_at > NOW
    catalog = default_catalog()
    text = owner_text(notice, settings, catalog, "en", NOW)
    assert text.startswith("🚨") and "/notices off" not in text and "Water off" in text
    planned, _ = parse_form(FORM, settings, NOW, 7)
    assert planned is not None
    hant = owner_text(planned, settings, catalog, "zh-Hant", NOW)
    assert "停水检修" in hant and "第3座" in hant and "/notices off" in hant


def test_the_status_counts_read_as_numbers(settings: Settings) -> None:
    notice, _ = parse_form(FORM, settings, NOW, 7)
    assert notice is not None
    active = notice.__class__(**{**notice.__dict__, "status": "active"})
    catalog = default_catalog()
    going = status_text(active, NoticeCounts(10, 6, 1, 1), settings, catalog, "en", NOW)
    assert "6 delivered, 1 blocked, 1 failed, 2 on the way (of 10)" in going
    done = status_text(active, NoticeCounts(10, 8, 1, 1), settings, catalog, "en", NOW)
    assert done.startswith("✅") and "8 delivered" in done
