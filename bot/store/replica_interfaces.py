"""Storage interfaces of replicas on one PostgreSQL: the update inbox and outbox claims.

Apart from ``bot.store.interfaces`` because only the PostgreSQL backend keeps them (a store is
checked with ``isinstance``: they are ``runtime_checkable``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class StoredUpdate:
    """An update as the inbox keeps it: id, chat and sender (for ordering), the JSON."""

    update_id: int
    chat_id: int | None
    user_id: int | None
    payload: dict[str, Any]
    attempts: int = 0


@runtime_checkable
class UpdateInbox(Protocol):
    """Updates stored before Telegram is told, handled by any replica (PostgreSQL only).

    An update is claimed by one holder at a time; one claimed by a holder that died is
    claimed again. It is claimable only when no earlier unfinished update shares its chat or
    its sender, so each conversation is handled in order whichever replica takes it.
    """

    async def inbox_add(self, updates: Sequence[StoredUpdate], now: datetime) -> None:
        """Store updates durably (a repeat of a stored one is ignored)."""
        ...

    async def inbox_next_offset(self) -> int | None:
        """The getUpdates offset that confirms every stored update (None: none stored)."""
        ...

    async def inbox_claim(self, holder: str, limit: int) -> list[StoredUpdate]:
        """Claim up to ``limit`` updates that may be handled now, oldest first."""
        ...

    async def inbox_done(self, update_id: int, holder: str, now: datetime) -> bool:
        """Mark a claimed update handled; False if it was not (any longer) the holder's."""
        ...

    async def inbox_release(self, holder: str) -> int:
        """Give back the holder's unfinished claims; how many."""
        ...

    async def inbox_oldest_pending(self) -> datetime | None:
        """When the oldest unhandled update was stored, or None."""
        ...


@runtime_checkable
class OutboxClaims(Protocol):
    """Outbox delivery shared by replicas: a message is sent by the one that claimed it."""

    async def outbox_claim(self, item_ids: Sequence[int], holder: str) -> set[int]:
        """Claim pending messages; the ids won (a live replica's claim is never taken)."""
        ...

    async def outbox_release(self, holder: str, item_id: int | None = None) -> None:
        """Give back one claim of ``holder``, or all of them."""
        ...
