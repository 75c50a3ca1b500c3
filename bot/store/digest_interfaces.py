"""What the bot asks of storage for digest cards (bot.core.digest); part of ``Storage``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.digest import Digest


class DigestStore(Protocol):
    """Digest cards in department groups: which message lists which tickets (one burst's
    new tickets on one card, see bot.core.digest)."""

    async def digest_of(self, ticket_id: int, chat_id: int) -> Digest | None:
        """The digest in a chat holding the ticket's open line, with all its lines; or None."""
        ...

    async def digest_chats(self, ticket_id: int) -> list[int]:
        """The chats where the ticket is an open line of a digest."""
        ...

    async def latest_digest(self, chat_id: int) -> Digest | None:
        """The chat's newest digest (the highest message id), with its lines; or None."""
        ...

    async def waiting_group_cards(
        self, chat_id: int, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """(outbox id, ticket id) of the chat's pending, due ``card="group"`` messages whose
        ticket has no card there (or only one that said it left) and no open digest line:
        new tickets waiting for the group, oldest first, at most ``limit``."""
        ...

    async def pending_card_rows(self, chat_id: int, ticket_ids: Sequence[int]) -> list[int]:
        """Ids of the chat's pending card messages (``card`` set) of these tickets, oldest
        first: the refreshes one edit of their digest shows all at once."""
        ...

    async def save_digest(
        self,
        chat_id: int,
        message_id: int,
        lines: Sequence[tuple[int, bool]],
        absorbed: Sequence[int],
        now: datetime,
    ) -> None:
        """One transaction: the digest's lines as (ticket id, open) in order (a new line is
        stamped ``now``, a known one keeps its stamp and takes the new ``open``), and the
        ``absorbed`` outbox messages still pending marked sent (the digest shows them)."""
        ...

    async def drop_digest(self, chat_id: int, message_id: int) -> None:
        """Forget a digest whose message is gone (deleted in the group)."""
        ...
