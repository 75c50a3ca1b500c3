"""Which card of a ticket a chat should show now: the assignee's, the group's, or "it left"."""

from __future__ import annotations

from typing import Literal

from bot.core.models import Ticket

Audience = Literal["staff", "group", "left"]
STAFF: Audience = "staff"
GROUP: Audience = "group"
# The ticket moved on from this chat (transferred, escalated, taken over, another department):
# the card says so once and is then left alone, so it shows nothing it no longer needs to.
LEFT: Audience = "left"


def card_audience(ticket: Ticket, chat_id: int, group_chat_id: int | None) -> Audience:
    """The card a chat gets: its assignee's, its current department group's, else "left"."""
    if group_chat_id is not None and chat_id == group_chat_id:
        return GROUP
    if chat_id == ticket.assignee_id:
        return STAFF
    return LEFT
