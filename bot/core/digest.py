"""Digest cards: many new tickets for one department group on one message (pure rules).

A burst of tickets would queue a card each behind the group's 20 messages a minute; a digest
lists them one line each, with an Accept button per ticket, and is edited in place as tickets
join it or are taken (see docs/architecture.md, "Cards").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Telegram allows 100 buttons and 4096 characters on a message; 30 lines of at most
# LINE_LIMIT characters and a short head stay well inside both, whatever the tickets say.
MAX_LINES = 30
LINE_LIMIT = 120
BUTTONS_PER_ROW = 3


@dataclass(frozen=True)
class DigestLine:
    """One ticket on a digest card; ``open`` while it still waits to be taken from it."""

    ticket_id: int
    open: bool
    added_at: datetime


@dataclass(frozen=True)
class Digest:
    """A digest card in a group: its message and its lines, in the order they were added."""

    chat_id: int
    message_id: int
    lines: tuple[DigestLine, ...]

    @property
    def ticket_ids(self) -> list[int]:
        """The tickets on it, in order."""
        return [line.ticket_id for line in self.lines]

    @property
    def last_added(self) -> datetime | None:
        """When the newest line joined (None for a digest without lines)."""
        return max((line.added_at for line in self.lines), default=None)


def joinable(digest: Digest | None, now: datetime, within: timedelta, max_lines: int) -> int:
    """How many more tickets may join ``digest`` now (0: start a new one or send a card).

    A digest stays open for tickets while the burst goes on (a line added within ``within``)
    and it has room; after a quiet spell the next ticket is not hidden in an old message.
    """
    if digest is None or digest.last_added is None:
        return 0
    if now - digest.last_added > within:
        return 0
    return max(max_lines - len(digest.lines), 0)


def burst(waiting: int, room: int) -> bool:
    """The rule: a new ticket goes on a digest when other new tickets' cards already wait for
    the same group (the group's pace is the bottleneck), or a digest of the burst is open."""
    return waiting > 0 or room > 0


def short_numbers(numbers: Sequence[str]) -> list[str]:
    """Button names for tickets: the day's sequence (0042), the whole number if two clash."""
    tails = [n.rsplit("-", 1)[-1] for n in numbers]
    return tails if len(set(tails)) == len(tails) else list(numbers)


def common(values: Sequence[str | None]) -> str | None:
    """The one value all share (a building, an estate), else None."""
    distinct = set(values)
    if len(distinct) == 1:
        return next(iter(distinct))
    return None
