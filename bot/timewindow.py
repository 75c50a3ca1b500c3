"""Daily time windows such as "08:30-12:00" or "22:00-08:00" (wrapping past midnight)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# In date.weekday() order, so WEEKDAYS[d.weekday()] is the name of d's weekday.
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_WINDOW = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_DAY = 24 * 60


def weekday_name(day: date) -> Weekday:
    """The config name ("mon" … "sun") of a date's weekday."""
    return WEEKDAYS[day.weekday()]


@dataclass(frozen=True)
class TimeWindow:
    """A daily window [start, end) of local wall-clock time.

    ``end`` is ``time(0)`` for a window that runs to midnight ("24:00"). A window whose end is not
    after its start wraps past midnight: "22:00-08:00" starts at 22:00 and ends 08:00 the next day.
    "00:00-24:00" is the whole day.
    """

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeWindow:
        """Parse "HH:MM-HH:MM"; "24:00" is allowed as an end."""
        match = _WINDOW.fullmatch(text.strip())
        problem = f"{text!r} is not a time window (use HH:MM-HH:MM, e.g. 08:30-12:00)"
        if match is None:
            raise ValueError(problem)
        sh, sm, eh, em = (int(g) for g in match.groups())
        if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em != 0):
            raise ValueError(problem)
        window = cls(time(sh, sm), time(0) if eh == 24 else time(eh, em))
        if window.start == window.end and window.start != time(0):
            raise ValueError(f"{text!r} is an empty time window (start and end are the same)")
        return window

    @property
    def start_minute(self) -> int:
        """Minutes after midnight at which the window opens (0 … 1439)."""
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        """Minutes after the opening day's midnight at which it closes (1 … 2879)."""
        end = self.end.hour * 60 + self.end.minute
        return end + _DAY if end <= self.start_minute else end

    @property
    def length(self) -> timedelta:
        """How long the window is open."""
        return timedelta(minutes=self.end_minute - self.start_minute)

    @property
    def overnight(self) -> bool:
        """True when the window runs past midnight into the next day (e.g. 22:00-08:00)."""
        return self.end_minute > _DAY

    def contains(self, moment: time) -> bool:
        """True when a wall-clock time falls inside the window (on the opening or next day)."""
        minute = moment.hour * 60 + moment.minute + moment.second / 60
        return any(self.start_minute <= m < self.end_minute for m in (minute, minute + _DAY))

    def bounds_on(self, day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
        """The [start, end) datetimes of the window opening on ``day`` (end may be the next day)."""
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        opens = midnight + timedelta(minutes=self.start_minute)
        # Wall-clock arithmetic on purpose: a shift "ends at 08:00" even across a DST change.
        closes = midnight + timedelta(minutes=self.end_minute)
        return opens, closes

    def __str__(self) -> str:
        """The window as written in config, e.g. "22:00-08:00" or "13:30-24:00"."""
        end = "24:00" if self.end == time(0) else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Let pydantic fields of this type accept "HH:MM-HH:MM" strings."""
        return core_schema.no_info_before_validator_function(
            _coerce,
            core_schema.is_instance_schema(cls),
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )


WHOLE_DAY = TimeWindow(time(0), time(0))


def _coerce(value: Any) -> Any:
    """Pydantic hook: parse strings, pass TimeWindow through, refuse anything else."""
    if isinstance(value, TimeWindow):
        return value
    if isinstance(value, str):
        return TimeWindow.parse(value)
    raise ValueError(f"{value!r} is not a time window (use HH:MM-HH:MM, e.g. 08:30-12:00)")
