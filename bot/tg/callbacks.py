"""Callback data: what our buttons carry, encoded in at most 64 bytes and decoded with suspicion.

Callback data comes from the client and may be forged or stale, so decoding never trusts it:
unknown shapes decode to None, and handlers re-check who pressed and what the state allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.models import parse_action_ref

MAX_BYTES = 64
_SAFE = re.compile(r"^[A-Za-z0-9_:.\-]{1,64}$")
_ID = re.compile(r"^[0-9]{1,12}$")  # ids fit SQLite's integers; longer digit runs are forged
_INCIDENT_ACTION = re.compile(
    r"^(sub|subr|new|upd|clr|lnk|r[1-5]|t[0-9]{1,12}|o[A-Za-z0-9_-]{0,40})$"
)


@dataclass(frozen=True)
class FlowPress:
    """A button of a flow step: conversation token, step id and action."""

    token: str
    step: str
    action: str


@dataclass(frozen=True)
class Menu:
    """A menu button (new report, my tickets, language, help, continue, restart)."""

    item: str
    arg: str = ""


@dataclass(frozen=True)
class TicketView:
    """Open one ticket's details."""

    ticket_id: int


@dataclass(frozen=True)
class TicketPage:
    """A page of the owner's ticket list."""

    offset: int


@dataclass(frozen=True)
class SetLanguage:
    """Switch the interface language."""

    language: str


@dataclass(frozen=True)
class CardPress:
    """A button on a staff card: accept, start, reply, note, transfer, resolve."""

    ticket_id: int
    action: str


@dataclass(frozen=True)
class OwnerPress:
    """An owner's button on their ticket: fixed, not fixed, add a message, withdraw."""

    ticket_id: int
    action: str


@dataclass(frozen=True)
class SurveyPress:
    """A rating button of a survey (1..5)."""

    survey_id: int
    rating: int


@dataclass(frozen=True)
class FollowupPress:
    """A supervisor's follow-up button: the call-back is done, or reopen the ticket."""

    survey_id: int
    action: str


@dataclass(frozen=True)
class NoticePress:
    """A sender's button on a notice's preview: send it, or cancel it."""

    notice_id: int
    action: str


@dataclass(frozen=True)
class IncidentPress:
    """A button about a known incident: an owner's "tell me when it is over" (``sub``; ``subr``
    mid-report, which ends the report) or "another problem" (``o<area id>``), or staff's
    declare / update / all-clear / link (``t<ticket id>``: link that ticket)."""

    incident_id: int
    action: str


@dataclass(frozen=True)
class ProposalPress:
    """A supervisor's answer to the bot's incident proposal: ``d`` declare, ``x`` not related."""

    proposal_id: int
    action: str


Callback = (
    FlowPress
    | Menu
    | TicketView
    | TicketPage
    | SetLanguage
    | CardPress
    | OwnerPress
    | SurveyPress
    | FollowupPress
    | NoticePress
    | IncidentPress
    | ProposalPress
)


def encode(cb: Callback) -> str:
    """The callback data string for a button (raises ValueError past Telegram's 64 bytes)."""
    if isinstance(cb, FlowPress):
        data = f"f:{cb.token}:{cb.step}:{cb.action}"
    elif isinstance(cb, Menu):
        data = f"m:{cb.item}:{cb.arg}"
    elif isinstance(cb, TicketView):
        data = f"t:{cb.ticket_id}"
    elif isinstance(cb, TicketPage):
        data = f"p:{cb.offset}"
    elif isinstance(cb, CardPress):
        data = f"k:{cb.ticket_id}:{cb.action}"
    elif isinstance(cb, OwnerPress):
        data = f"o:{cb.ticket_id}:{cb.action}"
    elif isinstance(cb, SurveyPress):
        data = f"s:{cb.survey_id}:{cb.rating}"
    elif isinstance(cb, FollowupPress):
        data = f"v:{cb.survey_id}:{cb.action}"
    elif isinstance(cb, NoticePress):
        data = f"n:{cb.notice_id}:{cb.action}"
    elif isinstance(cb, IncidentPress):
        data = f"i:{cb.incident_id}:{cb.action}"
    elif isinstance(cb, ProposalPress):
        data = f"q:{cb.proposal_id}:{cb.action}"
    else:
        data = f"l:{cb.language}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long ({len(data.encode())} bytes): {data!r}")
    return data


def decode(data: str | None) -> Callback | None:
    """Parse callback data; None for anything we did not make."""
    if not data or not _SAFE.match(data):
        return None
    kind, _, rest = data.partition(":")
    if kind == "f":
        parts = rest.split(":", 2)
        if len(parts) == 3 and all(parts):
            return FlowPress(*parts)
    elif kind == "m":
        item, _, arg = rest.partition(":")
        if item:
            return Menu(item, arg)
    elif kind == "t" and _ID.match(rest):
        return TicketView(int(rest))
    elif kind == "p" and _ID.match(rest):
        return TicketPage(int(rest))
    elif kind == "l" and rest:
        return SetLanguage(rest)
    elif kind == "s":
        survey, _, rating = rest.partition(":")
        if _ID.match(survey) and rating in ("1", "2", "3", "4", "5"):
            return SurveyPress(int(survey), int(rating))
    elif kind == "v":
        survey, _, action = rest.partition(":")
        if _ID.match(survey) and action in ("done", "reopen"):
            return FollowupPress(int(survey), action)
    elif kind == "n":
        notice, _, action = rest.partition(":")
        if _ID.match(notice) and action in ("send", "cancel"):
            return NoticePress(int(notice), action)
    elif kind == "i":
        incident, _, action = rest.partition(":")
        if _ID.match(incident) and _INCIDENT_ACTION.match(action):
            return IncidentPress(int(incident), action)
    elif kind == "q":
        proposal, _, action = rest.partition(":")
        if _ID.match(proposal) and action in ("d", "x"):
            return ProposalPress(int(proposal), action)
    elif kind in ("k", "o"):
        ticket, _, action = rest.partition(":")
        if _ID.match(ticket) and action.isalnum():
            if kind == "k":
                return CardPress(int(ticket), action)
            return OwnerPress(int(ticket), action)
    return None


def _of_action(action: str, target: int) -> Callback | None:
    """The press a neutral button action stands for (see bot.core.models.action_ref)."""
    kind, _, arg = action.partition(".")
    if kind == "owner":
        return OwnerPress(target, arg)
    if kind == "ticket" and arg == "view":
        return TicketView(target)
    if kind == "menu":
        return Menu(arg)
    if kind == "survey" and arg.startswith("rate") and arg[4:].isdigit():
        return SurveyPress(target, int(arg[4:]))
    if kind == "followup":
        return FollowupPress(target, arg)
    if kind == "incident" and _INCIDENT_ACTION.match(arg):
        return IncidentPress(target, arg)
    return None


def callback_data(data: str) -> str:
    """Telegram callback data for an outbox button: a neutral action is encoded here; data
    written by earlier releases (already callback data) passes unchanged, so old rows deliver."""
    ref = parse_action_ref(data)
    if ref is None:
        return data
    press = _of_action(*ref)
    if press is None:
        raise ValueError(f"unknown button action: {data!r}")
    return encode(press)


def callback_rows(rows: Sequence[Sequence[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """Outbox button rows of (label, action) as rows of (label, callback data)."""
    return [[(label, callback_data(data)) for label, data in row] for row in rows]
