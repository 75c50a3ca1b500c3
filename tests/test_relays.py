"""The cap on an owner's messages relayed to staff per ticket (bot.core.relays)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot.config.models import Limits
from bot.core.models import TicketEvent
from bot.core.relays import RelayHold, relay_hold

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def _message(minute: float, held: bool = False) -> TicketEvent:
    data: dict[str, object] = {"text": "hello"}
    if held:
        data["held"] = True
    return TicketEvent(1, T0 + timedelta(minutes=minute), "owner_message", 7, data)


def test_up_to_the_cap_every_message_is_relayed() -> None:
    events = [TicketEvent(1, T0, "created", 7), *(_message(m) for m in range(4))]
    assert relay_hold(events, T0 + timedelta(minutes=4), 5, WINDOW) is None


def test_past_the_cap_messages_are_held_and_counted_until_the_window_has_room() -> None:
    events = [_message(m) for m in range(5)]  # minutes 0..4: five relayed
    now = T0 + timedelta(minutes=5)
    assert relay_hold(events, now, 5, WINDOW) == RelayHold(1, T0 + WINDOW)
    events += [_message(5, held=True), _message(6, held=True)]
    assert relay_hold(events, T0 + timedelta(minutes=7), 5, WINDOW) == RelayHold(3, T0 + WINDOW)
    # Once the first relayed one is out of the window, the next goes through again.
    assert relay_hold(events, T0 + WINDOW + timedelta(seconds=1), 5, WINDOW) is None


def test_held_messages_do_not_count_against_the_window() -> None:
    events = [_message(0), _message(1), _message(2, held=True), _message(3, held=True)]
    assert relay_hold(events, T0 + timedelta(minutes=4), 2, WINDOW) == RelayHold(3, T0 + WINDOW)
    assert relay_hold(events, T0 + timedelta(minutes=4), 3, WINDOW) is None


def test_the_relay_settings_are_checked() -> None:
    assert Limits().relays_per_ticket == 5 and Limits().relay_window == WINDOW
    assert Limits(relay_window="30m").relay_window == timedelta(minutes=30)
    for bad in ({"relay_window": "5s"}, {"relay_window": "2d"}, {"relays_per_ticket": 0}):
        with pytest.raises(ValidationError):
            Limits(**bad)
