"""Deadline arithmetic in Asia/Shanghai with China's 2025 holidays (National Day/Mid-Autumn)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.deadlines import (
    BusinessCalendar,
    DeadlineClock,
    add_business_time,
    add_working_days,
    business_time_between,
    cn_calendar,
    due,
    due_at,
    fraction_point,
    is_business_time,
    next_business_moment,
    pause,
    remaining,
    resume,
)
from bot.core.holidays_cn import cn_days

SH = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
WINDOWS = ((time(8, 30), time(12, 0)), (time(13, 30), time(18, 0)))  # 8 business hours a day
H = timedelta(hours=1)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    calendar, warnings = cn_calendar([2025, 2026], SH, WINDOWS)
    assert warnings == []
    return calendar


# --- the library's data, checked rather than trusted ----------------------------------------


def test_library_2025_national_day_schedule() -> None:
    days = cn_days([2025])
    # 2025 notice: Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are worked.
    for d in range(1, 9):
        day = date(2025, 10, d)
        assert day in days.holidays or day.weekday() >= 5
    assert {date(2025, 9, 28), date(2025, 10, 11)} <= days.makeup_workdays
    # The pitfall: the holiday set alone says nothing about make-up days.
    assert date(2025, 9, 28) not in days.holidays
    assert days.estimated_years == ()


def test_working_days_around_national_day(cal: BusinessCalendar) -> None:
    assert cal.is_working_day(date(2025, 9, 28))  # Sunday, make-up day
    assert not cal.is_working_day(date(2025, 9, 27))  # ordinary Saturday
    assert cal.is_working_day(date(2025, 9, 30))
    assert not any(cal.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert cal.is_working_day(date(2025, 10, 9))
    assert cal.is_working_day(date(2025, 10, 11))  # Saturday, make-up day
    assert not cal.is_working_day(date(2025, 10, 12))


# --- business time --------------------------------------------------------------------------


def test_within_one_window(cal: BusinessCalendar) -> None:
    assert add_business_time(at(2025, 9, 10, 9), 2 * H, cal) == at(2025, 9, 10, 11)


def test_across_lunch(cal: BusinessCalendar) -> None:
    assert add_business_time(at(2025, 9, 10, 11), 2 * H, cal) == at(2025, 9, 10, 14, 30)


def test_across_the_evening(cal: BusinessCalendar) -> None:
    assert add_business_time(at(2025, 9, 10, 17), 2 * H, cal) == at(2025, 9, 11, 9, 30)


def test_ends_at_close_not_next_opening(cal: BusinessCalendar) -> None:
    assert add_business_time(at(2025, 9, 10, 17), H, cal) == at(2025, 9, 10, 18)


def test_across_a_weekend(cal: BusinessCalendar) -> None:
    assert add_business_time(at(2025, 9, 12, 17), 2 * H, cal) == at(2025, 9, 15, 9, 30)


def test_across_holiday_with_makeup_sunday(cal: BusinessCalendar) -> None:
    # Friday before the break: Saturday is off, Sunday Sep 28 is worked.
    assert add_business_time(at(2025, 9, 26, 17), 2 * H, cal) == at(2025, 9, 28, 9, 30)
    # Last working day before the break: next business hour is Thursday Oct 9.
    assert add_business_time(at(2025, 9, 30, 17), 2 * H, cal) == at(2025, 10, 9, 9, 30)
    # A whole day's worth from Friday Oct 10 lands on the make-up Saturday.
    assert add_business_time(at(2025, 10, 10, 18), 8 * H, cal) == at(2025, 10, 11, 18)


def test_start_outside_windows(cal: BusinessCalendar) -> None:
    assert add_business_time(at(2025, 9, 10, 7), H, cal) == at(2025, 9, 10, 9, 30)
    assert add_business_time(at(2025, 9, 10, 12, 30), H, cal) == at(2025, 9, 10, 14, 30)
    assert add_business_time(at(2025, 9, 13, 10), H, cal) == at(2025, 9, 15, 9, 30)  # Saturday
    assert add_business_time(at(2025, 10, 3, 10), H, cal) == at(2025, 10, 9, 9, 30)  # holiday


def test_result_is_in_calendar_zone_for_utc_input(cal: BusinessCalendar) -> None:
    start = at(2025, 9, 10, 9).astimezone(UTC)
    result = add_business_time(start, 2 * H, cal)
    assert result == at(2025, 9, 10, 11)
    assert result.tzinfo == SH


def test_business_time_between(cal: BusinessCalendar) -> None:
    assert business_time_between(at(2025, 9, 12, 17), at(2025, 9, 15, 9, 30), cal) == 2 * H
    assert business_time_between(at(2025, 9, 15, 9, 30), at(2025, 9, 12, 17), cal) == -2 * H
    assert business_time_between(at(2025, 9, 10, 8, 30), at(2025, 9, 11, 8, 30), cal) == 8 * H


def test_naive_datetime_refused(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(datetime(2025, 9, 10, 9), H, cal)


def test_bad_windows_refused() -> None:
    with pytest.raises(ValueError, match="not overlap"):
        BusinessCalendar(SH, ((time(8), time(12)), (time(11), time(18))))
    with pytest.raises(ValueError, match="before end"):
        BusinessCalendar(SH, ((time(18), time(8)),))


# --- config dates ---------------------------------------------------------------------------


def test_extra_holidays_and_workdays_from_config() -> None:
    calendar, _ = cn_calendar(
        [2025],
        SH,
        WINDOWS,
        extra_holidays={date(2025, 9, 10), date(2025, 9, 28)},  # company day; cancel make-up
        extra_workdays={date(2025, 9, 13), date(2025, 10, 8)},  # worked Saturday; work a holiday
    )
    assert add_business_time(at(2025, 9, 9, 17), 2 * H, calendar) == at(2025, 9, 11, 9, 30)
    assert add_business_time(at(2025, 9, 12, 17), 2 * H, calendar) == at(2025, 9, 13, 9, 30)
    assert not calendar.is_working_day(date(2025, 9, 28))
    assert calendar.is_working_day(date(2025, 10, 8))
    assert add_business_time(at(2025, 9, 26, 17), 2 * H, calendar) == at(2025, 9, 29, 9, 30)


def test_same_date_in_both_config_lists_is_an_error() -> None:
    with pytest.raises(ValueError, match="2025-09-10"):
        cn_calendar([2025], SH, WINDOWS, {date(2025, 9, 10)}, {date(2025, 9, 10)})


def test_estimated_year_warning() -> None:
    calendar, warnings = cn_calendar([2025, 2035], SH, WINDOWS)
    assert warnings == [
        "no official holiday data for 2035: dates are estimated; "
        "add them to business_hours.extra_holidays/extra_workdays in config.yaml"
    ]
    # Estimated years still get the statutory days, just no make-up days.
    assert not calendar.is_working_day(date(2035, 10, 1))
    assert not any(d.year == 2035 for d in calendar.extra_workdays)


# --- clocks and rules -----------------------------------------------------------------------


def test_always_clock_counts_around_the_clock(cal: BusinessCalendar) -> None:
    assert due_at(at(2025, 9, 26, 23), 4 * H, "always", cal) == at(2025, 9, 27, 3)
    assert due_at(at(2025, 10, 1, 10), 24 * H, "always", cal) == at(2025, 10, 2, 10)


def test_always_clock_is_elapsed_time_across_dst() -> None:
    london = BusinessCalendar(LONDON, WINDOWS)
    # 00:30 GMT + 2 h of real time is 03:30 BST (the clocks jump 01:00 → 02:00).
    assert due_at(at(2025, 3, 30, 0, 30, LONDON), 2 * H, "always", london) == at(
        2025, 3, 30, 3, 30, LONDON
    )


def test_working_days_rule(cal: BusinessCalendar) -> None:
    two_days = timedelta(days=2)
    assert due_at(at(2025, 9, 10, 10), two_days, "business", cal) == at(2025, 9, 12, 10)
    # Filed Friday evening: Monday and Tuesday are the two days, due at Tuesday's close.
    assert due_at(at(2025, 9, 12, 20), two_days, "business", cal) == at(2025, 9, 16, 18)
    assert due_at(at(2025, 9, 13, 11), two_days, "business", cal) == at(2025, 9, 16, 18)
    # Before opening counts from the previous close too.
    assert due_at(at(2025, 9, 15, 7), two_days, "business", cal) == at(2025, 9, 16, 18)
    # Lunch counts from the morning's close.
    assert due_at(at(2025, 9, 15, 12, 30), two_days, "business", cal) == at(2025, 9, 17, 12)
    # Over the National Day break (and the make-up Saturday).
    assert due_at(at(2025, 9, 30, 10), two_days, "business", cal) == at(2025, 10, 10, 10)
    assert add_working_days(at(2025, 10, 10, 10), 1, cal) == at(2025, 10, 11, 10)
    # 24 h on a business clock is one working day; 2 h is business time.
    assert due_at(at(2025, 9, 10, 10), 24 * H, "business", cal) == at(2025, 9, 11, 10)
    assert due_at(at(2025, 9, 10, 17), 2 * H, "business", cal) == at(2025, 9, 11, 9, 30)


def test_zero_working_days_is_start(cal: BusinessCalendar) -> None:
    assert add_working_days(at(2025, 9, 13, 11), 0, cal) == at(2025, 9, 13, 11)


# --- paused clocks --------------------------------------------------------------------------


def test_pause_over_a_weekend_adds_nothing(cal: BusinessCalendar) -> None:
    clock = DeadlineClock(at(2025, 9, 12, 16), 4 * H, "business")
    assert due(clock, cal) == at(2025, 9, 15, 10, 30)
    paused = pause(clock, at(2025, 9, 12, 18))
    assert due(paused, cal) is None
    assert pause(paused, at(2025, 9, 13, 9)) == paused  # a second press changes nothing
    resumed = resume(paused, at(2025, 9, 15, 8, 30), cal)
    assert resumed.paused_total == timedelta(0)
    assert due(resumed, cal) == at(2025, 9, 15, 10, 30)


def test_pause_extends_by_business_time_paused(cal: BusinessCalendar) -> None:
    clock = pause(DeadlineClock(at(2025, 9, 12, 16), 4 * H, "business"), at(2025, 9, 12, 17))
    # Frozen while paused: Friday 17–18 and Monday 08:30–10:30 are left.
    assert remaining(clock, at(2025, 9, 13, 12), cal) == 3 * H
    assert remaining(clock, at(2025, 9, 14, 12), cal) == 3 * H
    resumed = resume(clock, at(2025, 9, 15, 9), cal)
    assert resumed.paused_total == timedelta(hours=1, minutes=30)
    assert due(resumed, cal) == at(2025, 9, 15, 12)
    assert remaining(resumed, at(2025, 9, 15, 9), cal) == 3 * H
    assert remaining(resumed, at(2025, 9, 15, 14), cal) == -timedelta(minutes=30)


def test_pause_on_always_clock(cal: BusinessCalendar) -> None:
    clock = DeadlineClock(at(2025, 9, 13, 10), 4 * H, "always")
    clock = resume(pause(clock, at(2025, 9, 13, 11)), at(2025, 9, 13, 13), cal)
    assert due(clock, cal) == at(2025, 9, 13, 16)
    assert remaining(clock, at(2025, 9, 13, 15), cal) == H


def test_resume_before_pause_refused(cal: BusinessCalendar) -> None:
    clock = pause(DeadlineClock(at(2025, 9, 12, 16), 4 * H, "business"), at(2025, 9, 12, 17))
    with pytest.raises(ValueError, match="before the pause"):
        resume(clock, at(2025, 9, 12, 16), cal)


# --- fractions and nudges -------------------------------------------------------------------


def test_fraction_point_in_business_time(cal: BusinessCalendar) -> None:
    start = at(2025, 9, 10, 8, 30)
    end = due_at(start, 4 * H, "business", cal)
    assert end == at(2025, 9, 10, 14)
    assert fraction_point(start, end, 0.5, "business", cal) == at(2025, 9, 10, 10, 30)
    assert fraction_point(start, end, 0.75, "business", cal) == at(2025, 9, 10, 11, 30)
    assert fraction_point(start, end, 0.9, "business", cal) == at(2025, 9, 10, 13, 36)
    assert fraction_point(start, end, 1, "business", cal) == end


def test_fraction_point_over_a_weekend(cal: BusinessCalendar) -> None:
    start, end = at(2025, 9, 12, 16), at(2025, 9, 15, 10, 30)  # 2 h Friday + 2 h Monday
    # Halfway is Friday's close (the same business moment as Monday's opening).
    assert fraction_point(start, end, 0.5, "business", cal) == at(2025, 9, 12, 18)
    assert fraction_point(start, end, 0.75, "business", cal) == at(2025, 9, 15, 9, 30)


def test_fraction_point_always(cal: BusinessCalendar) -> None:
    start = at(2025, 9, 13, 10)
    assert fraction_point(start, at(2025, 9, 13, 14), 0.75, "always", cal) == at(2025, 9, 13, 13)


def test_next_business_moment(cal: BusinessCalendar) -> None:
    assert next_business_moment(at(2025, 9, 10, 2), cal) == at(2025, 9, 10, 8, 30)
    assert next_business_moment(at(2025, 9, 13, 10), cal) == at(2025, 9, 15, 8, 30)  # Saturday
    assert next_business_moment(at(2025, 9, 10, 9), cal) == at(2025, 9, 10, 9)
    assert next_business_moment(at(2025, 9, 10, 12), cal) == at(2025, 9, 10, 13, 30)
    assert next_business_moment(at(2025, 9, 10, 18), cal) == at(2025, 9, 11, 8, 30)
    assert next_business_moment(at(2025, 10, 11, 10), cal) == at(2025, 10, 11, 10)  # make-up
    assert next_business_moment(at(2025, 10, 1, 2), cal) == at(2025, 10, 9, 8, 30)
    assert is_business_time(at(2025, 9, 28, 9), cal)
    assert not is_business_time(at(2025, 9, 27, 9), cal)


def test_calendar_without_working_time_fails_loudly() -> None:
    never = BusinessCalendar(SH, WINDOWS, workdays=frozenset())
    with pytest.raises(ValueError, match="no working time"):
        next_business_moment(at(2025, 9, 10, 2), never)
