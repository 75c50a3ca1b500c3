"""Promises in words (bot/core/promise.py): today, tomorrow, a weekday, far away, a holiday."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.deadlines import BusinessCalendar, due_at, region_calendar
from bot.core.promise import closure_words, due_words, left_words, stamp_words
from bot.texts import Catalog, default_catalog

SH = ZoneInfo("Asia/Shanghai")
HK = ZoneInfo("Asia/Hong_Kong")
WINDOWS = ((time(8, 30), time(12, 0)), (time(13, 30), time(18, 0)))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    cal, _ = region_calendar("CN", [2026, 2027], SH, WINDOWS)
    return cal


def at(y: int, mo: int, d: int, h: int, mi: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


NOW = at(2026, 12, 3, 10, 0)  # Thursday


@pytest.mark.parametrize(
    ("due", "lang", "expected"),
    [
        (at(2026, 12, 3, 10, 5), "zh-Hans", "今天 10:05 前"),
        (at(2026, 12, 3, 10, 5), "zh-Hant", "今日 10:05 前"),
        (at(2026, 12, 3, 10, 5), "en", "today by 10:05"),
        (at(2026, 12, 4, 10, 20), "zh-Hans", "明天（周五）10:20 前"),
        (at(2026, 12, 4, 10, 20), "zh-Hant", "明日（星期五）10:20 前"),
        (at(2026, 12, 4, 10, 20), "en", "tomorrow (Fri) by 10:20"),
        (at(2026, 12, 8, 10, 10), "zh-Hans", "12月8日（周二）10:10 前"),
        (at(2026, 12, 8, 10, 10), "zh-Hant", "12月8日（星期二）10:10 前"),
        (at(2026, 12, 8, 10, 10), "en", "Tue 8 Dec by 10:10"),
        (at(2027, 1, 5, 9, 0), "zh-Hans", "2027年1月5日（周二）09:00 前"),
        (at(2027, 1, 5, 9, 0), "en", "Tue 5 Jan 2027 by 09:00"),
    ],
)
def test_due_words(catalog: Catalog, due: datetime, lang: str, expected: str) -> None:
    assert due_words(NOW, due, SH, catalog, lang) == expected


def test_due_words_use_the_local_date_not_utc(catalog: Catalog) -> None:
    # 00:30 in Shanghai on Friday is still Thursday in UTC: the person's date counts.
    now = at(2026, 12, 3, 23, 0)
    assert due_words(now, at(2026, 12, 4, 0, 30), SH, catalog, "zh-Hans") == "明天（周五）00:30 前"


def test_left_words(catalog: Catalog) -> None:
    assert left_words(NOW, NOW + timedelta(minutes=5), catalog, "zh-Hans") == "剩 5 分钟"
    assert left_words(NOW, NOW + timedelta(minutes=80), catalog, "zh-Hant") == "尚餘 1 小時 20 分鐘"
    assert left_words(NOW, NOW + timedelta(days=2, hours=3), catalog, "en") == "2 days 3 h left"
    assert left_words(NOW, NOW - timedelta(minutes=3), catalog, "zh-Hans") == "已超时 3 分钟"
    assert left_words(NOW, NOW - timedelta(hours=2), catalog, "en") == "2 h overdue"


def test_stamp_words(catalog: Catalog) -> None:
    assert stamp_words(at(2026, 12, 3, 9, 40), NOW, SH, catalog, "zh-Hans") == "今天 09:40"
    assert stamp_words(at(2026, 12, 2, 9, 40), NOW, SH, catalog, "en") == "yesterday (Wed) 09:40"
    assert stamp_words(at(2026, 11, 26, 9, 40), NOW, SH, catalog, "zh-Hant") == (
        "11月26日（星期四） 09:40"
    )


# --- why it is far -----------------------------------------------------------------------


def test_national_day_is_named_with_its_dates(catalog: Catalog, cn: BusinessCalendar) -> None:
    # The case: filed on 09-30 at 17:40, routine (2 business hours).
    now = at(2026, 9, 30, 17, 40)
    due = due_at(now, timedelta(hours=2), "business", cn)
    assert due == at(2026, 10, 8, 10, 10)
    assert due_words(now, due, SH, catalog, "zh-Hans") == "10月8日（周四）10:10 前"
    assert closure_words(now, due, cn, catalog, "zh-Hans") == (
        "国庆节假期（10月1日–7日）只处理紧急报修"
    )
    assert closure_words(now, due, cn, catalog, "zh-Hant") == (
        "國慶節假期（10月1日至7日）只處理緊急報修"
    )
    assert closure_words(now, due, cn, catalog, "en") == (
        "National Day holiday (1–7 Oct): only emergencies are handled"
    )


def test_a_weekend_is_called_a_weekend(catalog: Catalog, cn: BusinessCalendar) -> None:
    now = at(2026, 12, 4, 17, 40)  # Friday evening
    due = due_at(now, timedelta(hours=2), "business", cn)
    assert due_words(now, due, SH, catalog, "zh-Hans") == "12月7日（周一）10:10 前"
    assert closure_words(now, due, cn, catalog, "zh-Hans") == "周末（12月5日–6日）只处理紧急报修"
    assert closure_words(now, due, cn, catalog, "en") == (
        "Weekend (5–6 Dec): only emergencies are handled"
    )


def test_nothing_to_explain_overnight(catalog: Catalog, cn: BusinessCalendar) -> None:
    now = at(2026, 12, 3, 17, 40)  # Thursday evening → Friday morning
    due = due_at(now, timedelta(hours=2), "business", cn)
    assert due_words(now, due, SH, catalog, "zh-Hans") == "明天（周五）10:10 前"
    assert closure_words(now, due, cn, catalog, "zh-Hans") is None


def test_a_company_day_off_without_a_name(catalog: Catalog) -> None:
    cal = BusinessCalendar(SH, WINDOWS, holidays=frozenset({at(2026, 12, 31, 0).date()}))
    now = at(2026, 12, 30, 17, 0)
    due = due_at(now, timedelta(hours=2), "business", cal)
    assert due_words(now, due, SH, catalog, "zh-Hans") == "2027年1月1日（周五）09:30 前"
    assert closure_words(now, due, cal, catalog, "zh-Hans") == "12月31日 休息，只处理紧急报修"


def test_hong_kong_holidays_are_named_in_hong_kong_words(catalog: Catalog) -> None:
    cal, warnings = region_calendar("HK", [2026], HK, WINDOWS)
    assert warnings == []
    now = at(2026, 12, 24, 17, 0, tz=HK)  # Thursday before Christmas
    due = due_at(now, timedelta(hours=2), "business", cal)
    assert due == at(2026, 12, 28, 9, 30, tz=HK)
    assert closure_words(now, due, cal, catalog, "zh-Hant") == (
        "聖誕節假期（12月25日至27日）只處理緊急報修"
    )
    assert closure_words(now, due, cal, catalog, "en").startswith("Christmas")
