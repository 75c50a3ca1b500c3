"""How many of an owner's messages on one ticket are relayed to staff one by one.

A handful of owners writing at once could otherwise fill an engineer's chat (Telegram lets
through about one message a second to it) so that a new emergency's card waits behind them.
Past ``limits.relays_per_ticket`` in ``limits.relay_window`` an owner's messages stay on the
ticket's timeline (marked ``held``), and staff get one "N more messages" notice when the
window has room again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.models import TicketEvent

OWNER_MESSAGE = "owner_message"


@dataclass(frozen=True)
class RelayHold:
    """An owner's message is not relayed now: how many wait, and when staff hear of them."""

    count: int  # held since the last one relayed, this one included
    until: datetime  # when the window has room again (the notice is sent then)


def relay_hold(
    events: Sequence[TicketEvent], now: datetime, per_window: int, window: timedelta
) -> RelayHold | None:
    """None if an owner's new message on a ticket with these events is relayed at once."""
    messages = [e for e in events if e.kind == OWNER_MESSAGE]
    relayed = sorted(e.at for e in messages if not e.data.get("held") and e.at > now - window)
    if len(relayed) < per_window:
        return None
    held = 0
    for event in reversed(messages):
        if not event.data.get("held"):
            break
        held += 1
    # The window has room once the oldest of the last ``per_window`` relayed leaves it.
    return RelayHold(held + 1, relayed[-per_window] + window)
