"""Abuse limits (pure): too many tickets, the same complaint again, too many messages."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from bot.config import Settings


def ticket_refusal(
    settings: Settings, recent: Sequence[tuple[str, str]], category: str, description: str
) -> str | None:
    """The text key explaining why an owner may not open this ticket now, or None."""
    limits = settings.limits
    if len(recent) >= limits.tickets_per_day:
        return "limits.tickets_per_day"
    same = _normal(description)
    repeats = sum(1 for cat, text in recent if cat == category and _normal(text) == same)
    if repeats >= limits.identical_per_day:
        return "limits.identical"
    return None


def _normal(text: str) -> str:
    """Descriptions compared without case and spacing differences."""
    return " ".join(text.casefold().split())


class RateWindow:
    """A sliding one-minute window of one person's messages."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.times: deque[float] = deque()
        self.warned = False

    def hit(self, now: float) -> bool:
        """Count a message at ``now`` (seconds); False when it is over the limit."""
        while self.times and now - self.times[0] >= 60:
            self.times.popleft()
        if len(self.times) >= self.per_minute:
            return False
        self.times.append(now)
        self.warned = False
        return True
