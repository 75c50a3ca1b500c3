"""The ``group_digest:`` section of config.yaml: one card for a burst of new tickets."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.digest import MAX_LINES
from bot.durations import Duration


class GroupDigest(BaseModel):
    """When many new tickets reach one department group, they share a digest card."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Tickets on one digest card (Telegram: 100 buttons, 4096 characters a message).
    max_tickets: int = Field(MAX_LINES, ge=2, le=MAX_LINES)
    # A digest takes further tickets while its last one joined at most this long ago.
    join_within: Duration = timedelta(minutes=2)

    @field_validator("join_within")
    @classmethod
    def _window(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=5) <= value <= timedelta(hours=1):
            raise ValueError(f"{value.total_seconds():g}s is not between 5s and 1h")
        return value
