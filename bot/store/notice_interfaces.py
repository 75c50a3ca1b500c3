"""Storage of notices to owners (docs/architecture.md, "Notices"): a Protocol of its own,
part of ``bot.store.interfaces.Storage`` (and re-exported there)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.announcements import Notice, NoticeCounts
from bot.core.models import Outgoing


class NoticeStore(Protocol):
    """Notices to owners (docs/architecture.md, "Notices"): drafts, their due times, who got
    each (once per owner), and owners who turned non-urgent notices off."""

    async def add_notice(self, notice: Notice) -> int:
        """Store a draft notice; returns its id."""
        ...

    async def get_notice(self, notice_id: int) -> Notice | None:
        """A notice by id, or None."""
        ...

    async def notice_status(
        self, notice_id: int, expect: Collection[str], status: str, now: datetime
    ) -> bool:
        """Compare-and-set the status (``expect`` → ``status``); False (nothing written) if it
        was in none of ``expect``: of two replicas or two presses, one wins."""
        ...

    async def notice_status_message(self, notice_id: int, chat_id: int, message_id: int) -> None:
        """Remember the sender's status message, which progress edits in place."""
        ...

    async def notices_due(self, now: datetime) -> list[Notice]:
        """Scheduled notices whose send time has come, oldest first."""
        ...

    async def notices_active(self, now: datetime) -> list[Notice]:
        """Notices being sent or sent that have not expired at ``now`` (late joiners get them)."""
        ...

    async def notices_recent(self, limit: int = 5) -> list[Notice]:
        """The latest notices that were not left as drafts, newest first."""
        ...

    async def notice_audience(self, notice: Notice) -> list[tuple[int, str | None, str | None]]:
        """Owners with a remembered home in the notice's scope who have no delivery of it yet
        (for a planned notice, leaving out those who turned notices off): (telegram id, chosen
        language, Telegram's language code)."""
        ...

    async def notice_reach(self, notice: Notice) -> int:
        """How many owners have a remembered home in the notice's scope."""
        ...

    async def notice_fanout(
        self, notice_id: int, messages: Sequence[Outgoing], now: datetime
    ) -> int:
        """Queue each message (one per owner: ``chat_id``) in one transaction, with a delivery
        row, unless that owner has one for this notice already; how many were queued. Of two
        at once (replicas), each owner is queued once."""
        ...

    async def notice_counts(self, notice_id: int) -> NoticeCounts:
        """A notice's messages: queued, delivered, blocked (the owner cannot be reached) and
        failed otherwise."""
        ...

    async def notice_unreachable(self, outbox_id: int) -> bool:
        """Count the delivery that outbox message made as blocked; False if it is no notice's."""
        ...

    async def set_notices_off(self, telegram_id: int, off: bool, now: datetime) -> None:
        """Remember whether an owner turned non-urgent notices off (last write wins)."""
        ...

    async def notices_off(self, telegram_id: int) -> bool:
        """Whether an owner turned non-urgent notices off."""
        ...
