"""The duty roster: shift boundaries, overnight shifts, exceptions, picking and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.roster import (
    Roster,
    RosterException,
    RouteDecision,
    Shift,
    next_change,
    on_duty,
    pick_assignee,
    route,
)

SH = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))

# Monday 2025-09-15 … Sunday 2025-09-21.
DAY = Shift("engineering", None, (1, 2), WEEKDAYS, time(8, 30), time(17, 30))
NIGHT = Shift("engineering", None, (3,), frozenset({0, 1, 2, 3}), time(22), time(8))  # Mon–Thu
CLEAN_A = Shift("cleaning", "A", (10,), WEEKDAYS, time(8), time(17))
CLEAN_B = Shift("cleaning", "B", (11,), WEEKDAYS, time(8), time(17))
CLEAN_ALL = Shift("cleaning", None, (12,), WEEKDAYS, time(8), time(12))


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=tz)


def roster(*exceptions: RosterException, shifts: tuple[Shift, ...] | None = None) -> Roster:
    return Roster(shifts or (DAY, NIGHT, CLEAN_A, CLEAN_B, CLEAN_ALL), exceptions, SH)


def eng(r: Roster, when: datetime, unavailable: frozenset[int] = frozenset()) -> list[int]:
    return on_duty(r, "engineering", "A", when, unavailable)


# --- boundaries -----------------------------------------------------------------------------


def test_start_inclusive_end_exclusive() -> None:
    r = roster()
    assert eng(r, at(2025, 9, 15, 8, 29, 59)) == []
    assert eng(r, at(2025, 9, 15, 8, 30)) == [1, 2]
    assert eng(r, at(2025, 9, 15, 17, 29, 59)) == [1, 2]
    assert eng(r, at(2025, 9, 15, 17, 30)) == []


def test_instant_in_another_zone_is_converted() -> None:
    # 08:30 in Shanghai is 00:30 UTC.
    assert eng(roster(), datetime(2025, 9, 15, 0, 30, tzinfo=UTC)) == [1, 2]
    assert eng(roster(), datetime(2025, 9, 15, 0, 29, tzinfo=UTC)) == []


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        eng(roster(), datetime(2025, 9, 15, 9))


def test_overnight_shift_both_sides_of_midnight() -> None:
    r = roster()
    assert eng(r, at(2025, 9, 15, 21, 59)) == []
    assert eng(r, at(2025, 9, 15, 22)) == [3]  # Monday evening
    assert eng(r, at(2025, 9, 15, 23, 59)) == [3]
    assert eng(r, at(2025, 9, 16, 0)) == [3]  # Tuesday, still Monday's shift
    assert eng(r, at(2025, 9, 16, 3)) == [3]
    assert eng(r, at(2025, 9, 16, 8)) == []  # ends 08:00; day shift starts 08:30


def test_overnight_shift_belongs_to_the_day_it_starts() -> None:
    r = roster()
    # Sunday is not a night-shift day, so Monday 03:00 is uncovered.
    assert eng(r, at(2025, 9, 15, 3)) == []
    # Thursday's shift runs into Friday morning; Friday's own night is not rostered.
    assert eng(r, at(2025, 9, 19, 7, 59)) == [3]
    assert eng(r, at(2025, 9, 19, 23)) == []
    assert eng(r, at(2025, 9, 20, 3)) == []


def test_24_hour_and_all_day_shifts() -> None:
    handover = Shift("security", None, (5,), frozenset({0}), time(8), time(8))  # Mon 08 → Tue 08
    all_day = Shift("security", None, (6,), frozenset({1}), time(0), time(0))  # all Tuesday
    r = roster(shifts=(handover, all_day))
    assert on_duty(r, "security", "A", at(2025, 9, 15, 7, 59)) == []
    assert on_duty(r, "security", "A", at(2025, 9, 15, 8)) == [5]
    assert on_duty(r, "security", "A", at(2025, 9, 16, 0)) == [5, 6]
    assert on_duty(r, "security", "A", at(2025, 9, 16, 8)) == [6]
    assert on_duty(r, "security", "A", at(2025, 9, 16, 23, 59)) == [6]
    assert on_duty(r, "security", "A", at(2025, 9, 17, 0)) == []


def test_estate_specific_and_all_estate_shifts() -> None:
    r = roster()
    morning = at(2025, 9, 15, 10)
    assert on_duty(r, "cleaning", "A", morning) == [10, 12]
    assert on_duty(r, "cleaning", "B", morning) == [11, 12]
    assert on_duty(r, "cleaning", "C", morning) == [12]
    assert on_duty(r, "cleaning", None, morning) == [12]
    assert on_duty(r, "cleaning", "A", at(2025, 9, 15, 14)) == [10]
    assert on_duty(r, "gardening", "A", morning) == []


# --- exceptions -----------------------------------------------------------------------------


def test_off_on_a_date() -> None:
    r = roster(RosterException(date(2025, 9, 16), 1))
    assert eng(r, at(2025, 9, 16, 10)) == [2]
    assert eng(r, at(2025, 9, 17, 10)) == [1, 2]


def test_off_keeps_the_night_that_started_the_day_before() -> None:
    r = roster(RosterException(date(2025, 9, 16), 3))
    assert eng(r, at(2025, 9, 16, 3)) == [3]  # Monday's night shift
    assert eng(r, at(2025, 9, 16, 23)) == []  # Tuesday's night shift is off
    assert eng(r, at(2025, 9, 17, 3)) == []


def test_off_for_another_department_does_not_count() -> None:
    r = roster(RosterException(date(2025, 9, 16), 1, department="cleaning"))
    assert eng(r, at(2025, 9, 16, 10)) == [1, 2]


def test_off_for_a_window() -> None:
    r = roster(RosterException(date(2025, 9, 17), 2, start=time(14), end=time(16)))
    assert eng(r, at(2025, 9, 17, 13, 59)) == [1, 2]
    assert eng(r, at(2025, 9, 17, 14)) == [1]
    assert eng(r, at(2025, 9, 17, 16)) == [1, 2]


def test_extra_window() -> None:
    r = roster(
        RosterException(
            date(2025, 9, 20), 4, off=False, department="engineering", start=time(9), end=time(13)
        ),
    )
    assert eng(r, at(2025, 9, 20, 8, 59)) == []
    assert eng(r, at(2025, 9, 20, 9)) == [4]
    assert eng(r, at(2025, 9, 20, 13)) == []
    assert on_duty(r, "cleaning", "A", at(2025, 9, 20, 10)) == []


def test_extra_window_without_department_follows_regular_shifts() -> None:
    # Staff 10 cleans estate A: an extra Saturday morning covers cleaning at A only.
    r = roster(RosterException(date(2025, 9, 20), 10, off=False, start=time(9), end=time(12)))
    assert on_duty(r, "cleaning", "A", at(2025, 9, 20, 10)) == [10]
    assert on_duty(r, "cleaning", "B", at(2025, 9, 20, 10)) == []
    assert eng(r, at(2025, 9, 20, 10)) == []


def test_extra_overnight_window_and_whole_day() -> None:
    r = roster(
        RosterException(date(2025, 9, 19), 3, off=False, start=time(22), end=time(8)),
        RosterException(date(2025, 9, 21), 2, off=False),
    )
    assert eng(r, at(2025, 9, 20, 3)) == [3]  # Friday night covered after all
    assert eng(r, at(2025, 9, 21, 0)) == [2]
    assert eng(r, at(2025, 9, 21, 23, 59)) == [2]
    assert eng(r, at(2025, 9, 22, 0)) == []


def test_extra_window_wins_over_day_off() -> None:
    r = roster(
        RosterException(date(2025, 9, 16), 1),
        RosterException(date(2025, 9, 16), 1, off=False, start=time(22), end=time(6)),
    )
    assert eng(r, at(2025, 9, 16, 10)) == [2]
    assert eng(r, at(2025, 9, 16, 23)) == [1, 3]


def test_exception_window_needs_both_ends() -> None:
    with pytest.raises(ValueError, match="start and end"):
        RosterException(date(2025, 9, 16), 1, start=time(9))


def test_unavailable_staff_are_left_out() -> None:
    r = roster()
    assert eng(r, at(2025, 9, 15, 10), frozenset({1})) == [2]
    assert eng(r, at(2025, 9, 15, 10), frozenset({1, 2})) == []


# --- picking --------------------------------------------------------------------------------


def test_fewest_open_tickets_wins() -> None:
    assert pick_assignee([1, 2, 3], {1: 2, 2: 0, 3: 1}, []) == 2
    assert pick_assignee([1, 2], {1: 1}, []) == 2  # missing load counts as zero
    assert pick_assignee([], {}, []) is None


def test_ties_go_to_the_never_assigned_then_least_recent() -> None:
    assert pick_assignee([1, 2, 3], {}, [2, 1]) == 3
    assert pick_assignee([1, 2, 3], {}, [3, 1, 2]) == 3  # least recent of the three
    assert pick_assignee([1, 2, 3], {}, [1, 3, 1, 2]) == 3  # only the latest time counts
    assert pick_assignee([1, 2, 3], {}, []) == 1  # stable by candidate order
    assert pick_assignee([3, 2, 1], {}, []) == 3


def test_round_robin_over_a_sequence_of_assignments() -> None:
    history: list[int] = []
    for _ in range(6):  # tickets close as fast as they come: load stays equal
        history.append(pick_assignee([1, 2, 3], {}, history) or 0)
    assert history == [1, 2, 3, 1, 2, 3]


def test_load_and_round_robin_together() -> None:
    load: dict[int, int] = {}
    history: list[int] = []
    for _ in range(5):
        chosen = pick_assignee([1, 2, 3], load, history)
        assert chosen is not None
        history.append(chosen)
        load[chosen] = load.get(chosen, 0) + 1
    assert history == [1, 2, 3, 1, 2]
    load[2] = 0  # 2 closed everything
    assert pick_assignee([1, 2, 3], load, history) == 2


def test_route_on_duty_fallback_and_nobody() -> None:
    r = roster()
    weekday, sunday = at(2025, 9, 15, 10), at(2025, 9, 21, 10)
    assert route(r, "engineering", "A", weekday, {1: 3}, [], frozenset(), 99) == RouteDecision(
        2, "on_duty", (1, 2)
    )
    assert route(r, "engineering", "A", sunday, {}, [], frozenset(), 99) == RouteDecision(
        99, "fallback", ()
    )
    assert route(r, "engineering", "A", sunday, {}, [], frozenset(), None) == RouteDecision(
        None, "nobody", ()
    )
    everyone_off = route(r, "engineering", "A", weekday, {}, [], frozenset({1, 2}), 99)
    assert everyone_off.reason == "fallback"


# --- next change ----------------------------------------------------------------------------


def test_next_change() -> None:
    r = roster()
    assert next_change(r, "engineering", "A", at(2025, 9, 15, 9)) == at(2025, 9, 15, 17, 30)
    assert next_change(r, "engineering", "A", at(2025, 9, 15, 17, 30)) == at(2025, 9, 15, 22)
    # Friday evening: nobody until Monday's day shift.
    assert next_change(r, "engineering", "A", at(2025, 9, 19, 18)) == at(2025, 9, 22, 8, 30)
    extra = roster(
        RosterException(
            date(2025, 9, 20), 4, off=False, department="engineering", start=time(9), end=time(13)
        ),
    )
    assert next_change(extra, "engineering", "A", at(2025, 9, 19, 18)) == at(2025, 9, 20, 9)


def test_next_change_skips_seamless_handovers_and_sees_far_exceptions() -> None:
    always = Shift("security", None, (5,), EVERY_DAY, time(8), time(8))
    assert next_change(roster(shifts=(always,)), "security", "A", at(2025, 9, 15, 9)) is None
    far = roster(RosterException(date(2025, 11, 3), 5), shifts=(always,))
    assert next_change(far, "security", "A", at(2025, 9, 15, 9)) == at(2025, 11, 3, 8)


# --- DST ------------------------------------------------------------------------------------


def test_overnight_shift_across_spring_forward() -> None:
    # London, Saturday 2025-03-29 22:00 GMT to Sunday 06:00 BST: 7 real hours.
    night = Shift("security", None, (7,), frozenset({5}), time(22), time(6))
    r = Roster((night,), (), LONDON)
    assert on_duty(r, "security", "A", datetime(2025, 3, 29, 22, tzinfo=UTC)) == [7]
    assert on_duty(r, "security", "A", datetime(2025, 3, 30, 4, 59, tzinfo=UTC)) == [7]
    assert on_duty(r, "security", "A", datetime(2025, 3, 30, 5, tzinfo=UTC)) == []  # 06:00 BST
    start = next_change(r, "security", "A", at(2025, 3, 29, 12, tz=LONDON))
    assert start == at(2025, 3, 29, 22, tz=LONDON)
    end = next_change(r, "security", "A", datetime(2025, 3, 30, 1, 30, tzinfo=UTC))
    assert end == at(2025, 3, 30, 6, tz=LONDON)
    assert start is not None and end is not None
    assert end - start == timedelta(hours=8)  # wall-clock difference (same tzinfo)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=7)


def test_overnight_shift_across_fall_back() -> None:
    # Saturday 2025-10-25 22:00 BST to Sunday 06:00 GMT: 9 real hours.
    night = Shift("security", None, (7,), frozenset({5}), time(22), time(6))
    r = Roster((night,), (), LONDON)
    assert on_duty(r, "security", "A", datetime(2025, 10, 25, 21, tzinfo=UTC)) == [7]  # 22 BST
    assert on_duty(r, "security", "A", datetime(2025, 10, 25, 20, 59, tzinfo=UTC)) == []
    assert on_duty(r, "security", "A", datetime(2025, 10, 26, 5, 59, tzinfo=UTC)) == [7]
    assert on_duty(r, "security", "A", datetime(2025, 10, 26, 6, tzinfo=UTC)) == []  # 06 GMT
