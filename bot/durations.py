"""Durations written the way admins write them: "90s", "30m", "4h", "2d", "1h30m"."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

# Units must come largest first and at most once each, so "1h30m" is fine and "30m1h" is not.
_PATTERN = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?")
_HINT = "use 90s, 30m, 4h or 2d"


def parse_duration(text: str) -> timedelta:
    """Parse "90s", "30m", "4h", "2d" or a combination such as "1h30m" into a timedelta."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        # A bare number is the classic config bug: 30 what? Refuse to guess.
        raise ValueError(f"{text!r} has no unit ({_HINT})")
    match = _PATTERN.fullmatch(cleaned)
    if not cleaned or match is None:
        raise ValueError(f"{text!r} is not a duration ({_HINT})")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Write a timedelta the way parse_duration reads it, e.g. "1h30m" ("0s" for zero)."""
    total = int(delta.total_seconds())
    if total < 0:
        raise ValueError(f"negative duration {delta}")
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
    return "".join(f"{n}{unit}" for n, unit in units if n) or "0s"


def _coerce(value: Any) -> Any:
    """Pydantic hook: accept duration strings and timedeltas, refuse bare numbers."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{value!r} is not a duration ({_HINT})")
    if isinstance(value, int | float):
        raise ValueError(f"{value!r} has no unit ({_HINT})")
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A timedelta field that is written in config as "90s", "30m", "4h", "2d" or "1h30m"."""
