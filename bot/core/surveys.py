"""Survey timing and judgement (pure): when to ask, and which answers need a follow-up call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.config import Settings
from bot.timewindow import TimeWindow

RATINGS: tuple[int, ...] = (5, 4, 3, 2, 1)
PROBLEMS: tuple[str, ...] = ("slow", "attitude", "not_fixed", "communication", "other")


def outside_quiet(at: datetime, quiet: TimeWindow | None, settings: Settings) -> datetime:
    """``at``, or the end of the quiet window it falls in (the next morning for 22:00-08:00)."""
    if quiet is None:
        return at
    local = at.astimezone(settings.tz)
    # An overnight window that covers 03:00 began the evening before.
    for day in (local.date() - timedelta(days=1), local.date()):
        start, end = quiet.bounds_on(day, settings.tz)
        if start <= at < end:
            return end
    return at


def survey_due(settings: Settings, resolved_at: datetime, *, confirmed: bool) -> datetime:
    """When to ask: ``surveys.delay`` after resolution (at once when the owner confirmed the
    fix and ``ask_when_confirmed``), moved out of quiet hours."""
    surveys = settings.surveys
    base = resolved_at if confirmed and surveys.ask_when_confirmed else resolved_at + surveys.delay
    return outside_quiet(base, surveys.quiet_hours, settings)


def reminder_due(settings: Settings, sent_at: datetime) -> datetime:
    """When the one reminder goes out if there is no answer."""
    return outside_quiet(
        sent_at + settings.surveys.remind_after, settings.surveys.quiet_hours, settings
    )


def expiry(settings: Settings, sent_at: datetime) -> datetime:
    """When we stop waiting and close the ticket as "no answer"."""
    return sent_at + settings.surveys.close_after


def needs_followup(settings: Settings, rating: int, problems: Sequence[str]) -> bool:
    """A low rating, or "not really fixed", means the supervisor calls the owner back."""
    return rating <= settings.surveys.followup_at_or_below or "not_fixed" in problems


def stars(rating: int) -> str:
    """★★★★☆ for 4."""
    return "★" * rating + "☆" * (5 - rating)
