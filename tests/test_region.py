"""Region calendars (python-holidays), the Hong Kong example config, display names, and the
owner's confirmation rendered from a real config and calendar."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.core.calendars import Calendars
from bot.core.models import Ticket
from bot.core.staff_names import shown_name
from bot.core.ticket_text import TicketText
from bot.core.tickets import draft_from_answers
from bot.texts import default_catalog

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "config.yaml"
HK_EXAMPLE = ROOT / "docs" / "examples" / "config-hk.yaml"
SH = ZoneInfo("Asia/Shanghai")


def test_hong_kong_example_passes_check_config() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "check-config",
            "--config",
            str(HK_EXAMPLE),
            "--flows",
            "flows",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "config-hk.yaml: OK" in result.stdout
    assert "timezone Asia/Hong_Kong" in result.stdout


def test_readme_shows_lines_of_the_hong_kong_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A Hong Kong (or Taiwan, Singapore …) desk", 1)[1]
    block = section.split("```yaml", 1)[1].split("```", 1)[0]
    example = HK_EXAMPLE.read_text(encoding="utf-8")
    for line in block.strip().splitlines():
        assert line in example, line


def test_hong_kong_example_uses_hong_kong_holidays() -> None:
    settings = load_settings(HK_EXAMPLE, env={})
    assert settings.business_hours.holiday_country == "HK"
    calendars = Calendars(settings, (2026,))
    assert calendars.warnings == []
    cal = calendars.of("maintenance")
    assert not cal.is_working_day(date(2026, 7, 1))  # HKSAR Establishment Day
    assert cal.is_working_day(date(2026, 10, 6))  # a mainland holiday is a working day here
    assert cal.holiday_names[date(2026, 12, 25)]["zh-Hant"] == "聖誕節"


def test_unknown_region_is_named_with_key_and_value(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("holiday_country: CN", "holiday_country: XX")
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert any(
        "business_hours.holiday_country" in e and "'XX'" in e and "python-holidays" in e
        for e in info.value.errors
    ), info.value.errors


def test_display_name_needs_every_language(tmp_path: Path) -> None:
    text = (
        SHIPPED.read_text(encoding="utf-8")
        .replace('en: "Mr Wang, Maintenance"}', "}")
        .replace(
            "{zh-Hans: 工程部 王师傅, zh-Hant: 工程部 王師傅, }",
            "{zh-Hans: 工程部 王师傅, zh-Hant: 工程部 王師傅}",
        )
    )
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    errors = info.value.errors
    assert any(re.fullmatch(r"staff\[\d+\]\.display_name\.en: missing", e) for e in errors), errors


def test_owners_read_display_names_never_internal_labels() -> None:
    settings = load_settings(SHIPPED, env={})
    wang = next(s for s in settings.staff if s.name == "王强 (王师傅)")
    assert shown_name(settings, wang.telegram_id, "zh-Hans") == "工程部 王师傅"
    assert shown_name(settings, wang.telegram_id, "en") == "Mr Wang, Maintenance"
    zhou = next(s for s in settings.staff if s.name == "周敏 (周经理)")
    assert zhou.display_name is None
    assert shown_name(settings, zhou.telegram_id, "zh-Hans") == "周经理"  # the name in brackets
    plain = next(s for s in settings.staff if s.name == "孙浩")
    assert shown_name(settings, plain.telegram_id, "en") == "孙浩"


# --- the confirmation, from the shipped config and China's calendar ---------------------------


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(SHIPPED, env={})


def _ticket(settings: Settings, now: datetime, category: str, urgency: str) -> Ticket:
    calendars = Calendars(settings, (now.year, now.year + 1))
    answers = {
        "category": category,
        "urgency": urgency,
        "estate": "harbour_view",
        "building": "3",
        "where": "unit",
        "unit": "1502",
        "description": "厨房水龙头一直滴水",
    }
    draft = draft_from_answers(answers, settings, calendars, 1, "zh-Hans", now)
    return Ticket(**vars(draft), id=1, number="HV-20260930-0001")


def _text(settings: Settings, now: datetime, lang: str) -> TicketText:
    calendars = Calendars(settings, (now.year, now.year + 1))
    return TicketText(settings, default_catalog(), lang, now=now, calendars=calendars)


def test_confirmation_before_national_day_names_the_holiday(settings: Settings) -> None:
    now = datetime(2026, 9, 30, 17, 40, tzinfo=SH)
    ticket = _ticket(settings, now, "water_power", "routine")
    text = _text(settings, now, "zh-Hans").confirmation(ticket)
    # The README quotes this confirmation word for word.
    assert text.split("\n\n")[:2] == [
        "✅ 工单 HV-20260930-0001 已登记：水电。\n谢谢您告诉我们，我们会按时处理好。",
        "⏱ 工作人员会在10月8日（周四）10:10 前响应您。\n"
        "📅 国庆节假期（10月1日–7日）只处理紧急报修。\n"
        "🔧 预计10月9日（周五）17:40 前处理完毕。\n"
        "☎ 如情况变严重，请随时拨打 24 小时热线 400-800-1234。",
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\n".join(text.split("\n\n")[:2]).replace("\n\n", "\n") in readme.replace("\n\n⏱", "\n⏱")
    english = _text(settings, now, "en").confirmation(ticket)
    assert "respond Thu 8 Oct by 10:10" in english
    assert "National Day holiday (1–7 Oct): only emergencies are handled" in english


def test_emergency_confirmation_says_today_and_gives_the_hotline(settings: Settings) -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=SH)
    ticket = replace(_ticket(settings, now, "water_power", "emergency"), subcategory="burst_pipe")
    for lang, promise, problem in (
        ("zh-Hans", "今天 10:05 前", "爆管或漏水"),
        ("zh-Hant", "今日 10:05 前", "爆水管或漏水"),
        ("en", "today by 10:05", "Burst pipe or leak"),
    ):
        text = _text(settings, now, lang).confirmation(ticket)
        assert promise in text and problem in text
        assert "400-800-1234" in text
        assert "📅" not in text  # an emergency's clock never waits for a holiday


def test_a_new_staff_card_comes_first_and_the_other_photos_follow_it(settings: Settings) -> None:
    from types import SimpleNamespace
    from typing import cast

    from bot.desk.context import DeskServices
    from bot.desk.tickets import TicketDesk

    desk = TicketDesk(cast(DeskServices, SimpleNamespace(settings=settings)))
    now = datetime(2026, 11, 26, 10, 0, tzinfo=SH)
    base = _ticket(settings, now, "water_power", "urgent")
    ticket = replace(base, photos=("p1", "p2", "p3"), assignee_id=7034518826)
    messages = desk._card_messages(ticket, {})
    staff = [m for m in messages if m.chat_id == 7034518826]
    # The card (captioning p1 when sent), then the other two as an album: no bare photo first.
    assert [(m.card, m.photos) for m in staff] == [("staff", ()), (None, ("p2", "p3"))]
    group = [m for m in messages if m.chat_id < 0]
    assert [(m.card, m.photos) for m in group] == [("group", ())]
    single = desk._card_messages(replace(ticket, photos=("p1",)), {})
    assert [m.photos for m in single] == [(), ()]  # one photo: it is the card itself
