"""What ``decide`` answers: a ``Decision`` with the ``Notice``s it causes, or a ``Refusal``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.core.models import Status, TicketEvent

Recipient = Literal["owner", "assignee", "previous_assignee", "supervisor", "group"]
RefusalCode = Literal[
    "not_staff",  # an owner (or the system) tried a staff action
    "not_owner",  # an owner action on someone else's ticket
    "not_supervisor",  # plain staff tried a supervisor action
    "system_only",  # a person tried what only the scheduler does (escalate, close)
    "other_department",
    "other_estate",
    "not_assignee",  # staff of the right team, but the ticket is someone else's
    "wrong_state",  # the ticket's status does not allow the action (stale button)
    "already_taken",  # params: by (telegram id of whoever accepted it first)
    "no_change",  # the action's effect is already there (double tap, duplicate job)
    "empty_text",
    "note_required",
    "reason_required",
    "no_target",
]


@dataclass(frozen=True)
class Notice:
    """Someone to tell something: a recipient role, a text key and its parameters."""

    recipient: Recipient
    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    person: int | None = None  # the Telegram id for owner / assignee / previous_assignee
    department: str | None = None  # whose group or supervisors, for group / supervisor


@dataclass(frozen=True)
class Decision:
    """An allowed action's effect: the ticket's new state, its event, and who to tell."""

    status: Status
    assignee: int | None  # the assignee after the decision, changed or not
    department: str  # the department after the decision, changed or not
    assignee_changed: bool
    event: TicketEvent
    notices: tuple[Notice, ...]


@dataclass(frozen=True)
class Refusal:
    """Why an action is not allowed; the adapter maps the code to a localized answer."""

    code: RefusalCode
    params: Mapping[str, object] = field(default_factory=dict)
