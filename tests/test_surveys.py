"""Survey timing and judgement, with a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.config import load_settings
from bot.core.surveys import needs_followup, outside_quiet, reminder_due, stars, survey_due

SETTINGS = load_settings(Path(__file__).resolve().parent.parent / "config.yaml", env={})
SH = SETTINGS.tz


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in Shanghai, November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def test_quiet_hours_move_to_the_next_morning() -> None:
    quiet = SETTINGS.surveys.quiet_hours
    assert quiet is not None  # 22:00-08:00 in the shipped config
    assert outside_quiet(at(26, 21, 59), quiet, SETTINGS) == at(26, 21, 59)
    assert outside_quiet(at(26, 22, 0), quiet, SETTINGS) == at(27, 8, 0)
    assert outside_quiet(at(27, 3, 0), quiet, SETTINGS) == at(27, 8, 0)
    assert outside_quiet(at(27, 8, 0), quiet, SETTINGS) == at(27, 8, 0)
    assert outside_quiet(at(27, 3, 0), None, SETTINGS) == at(27, 3, 0)


def test_survey_due_after_the_delay_or_at_once_when_confirmed() -> None:
    # delay 1d: resolved Thursday 15:00 → asked Friday 15:00
    assert survey_due(SETTINGS, at(26, 15), confirmed=False) == at(27, 15)
    # resolved 23:10: a day later is 23:10 again, inside quiet hours → 08:00 the day after
    assert survey_due(SETTINGS, at(26, 23, 10), confirmed=False) == at(28, 8)
    # "Fixed, thank you" at 19:00 asks at once; at 23:00 it waits for the morning
    assert survey_due(SETTINGS, at(26, 19), confirmed=True) == at(26, 19)
    assert survey_due(SETTINGS, at(26, 23), confirmed=True) == at(27, 8)
    assert reminder_due(SETTINGS, at(26, 15)) == at(27, 15)
    assert SETTINGS.surveys.close_after == timedelta(days=3)


def test_which_answers_need_a_follow_up() -> None:
    assert needs_followup(SETTINGS, 1, ())
    assert needs_followup(SETTINGS, 2, ())
    assert not needs_followup(SETTINGS, 3, ("slow",))
    assert needs_followup(SETTINGS, 3, ("not_fixed",))
    assert not needs_followup(SETTINGS, 5, ())
    assert stars(4) == "★★★★☆"
