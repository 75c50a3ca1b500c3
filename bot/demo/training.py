"""Guided training: a short script per role, each step ticked off by what really happened.

A step is done when the database (tickets, their timelines, surveys) or the emulator (what
the bot sent to whom) shows it — never because someone clicked the script.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import Status, Ticket
from bot.demo.personas import Persona
from bot.emulator import FakeBotApi
from bot.store import Storage

_ACCEPTED = {Status.ACCEPTED, Status.RESOLVED, Status.CLOSED}
_RESOLVED = {Status.RESOLVED, Status.CLOSED}


@dataclass(frozen=True)
class Step:
    """One line of the script: its text key, the names it mentions, and whether it is done."""

    role: str
    key: str
    names: dict[str, str]
    done: bool


async def _tickets(store: Storage, owner_id: int) -> list[Ticket]:
    return await store.owner_tickets(owner_id, limit=50)


async def _escalated(store: Storage, tickets: list[Ticket]) -> bool:
    for ticket in tickets:
        if ticket.overdue:
            return True
        if any(e.kind == "escalated" for e in await store.ticket_events(ticket.id)):
            return True
    return False


def _bot_wrote_to(emulator: FakeBotApi, chat_id: int) -> bool:
    chat = emulator.bot().chats.get(chat_id)
    return chat is not None and bool(chat.bot_messages())


async def progress(store: Storage, emulator: FakeBotApi, people: list[Persona]) -> list[Step]:
    """The script with each step's state now."""
    owners = [p for p in people if p.role == "owner"]
    engineers = [p for p in people if p.role == "engineer"]
    supervisors = [p for p in people if p.role == "supervisor"]
    groups = [p for p in people if p.role == "group"]
    first, second = owners[0], owners[1]
    mine = await _tickets(store, first.chat_id)
    theirs = await _tickets(store, second.chat_id)
    engineer = engineers[0].name if engineers else "—"
    boss = supervisors[0].name if supervisors else "—"
    n = {"owner": first.name, "owner2": second.name, "engineer": engineer, "supervisor": boss}
    steps = [
        Step("owner", "train.start", n, _bot_wrote_to(emulator, first.chat_id)),
        Step("owner", "train.report", n, bool(mine)),
        Step("engineer", "train.accept", n, any(t.status in _ACCEPTED for t in mine)),
        Step("engineer", "train.resolve", n, any(t.status in _RESOLVED for t in mine)),
        # The "resolved" message carries the first survey question.
        Step("owner", "train.survey", n, any(t.status in _RESOLVED for t in mine)),
        Step("owner", "train.rate", n, any(t.status is Status.CLOSED for t in mine)),
        Step("owner", "train.scan", n, any(t.area for t in theirs)),
        Step("supervisor", "train.escalate", n, await _escalated(store, mine + theirs)),
    ]
    if groups:
        steps.insert(2, Step("group", "train.group", n, _bot_wrote_to(emulator, groups[0].chat_id)))
    return steps
