"""Tickets as the dashboard's JSON: a board card, and the full ticket with its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.core.models import Survey, Ticket, TicketEvent
from bot.core.ticket_text import TicketText

VIA = "dashboard"


def _name(settings: Settings, telegram_id: int | None) -> str | None:
    if telegram_id is None:
        return None
    member = settings.staff_member(telegram_id)
    return member.name if member else str(telegram_id)


def due_of(ticket: Ticket) -> datetime | None:
    """The deadline the ticket runs against now (None once resolved or while paused)."""
    if ticket.status.value in ("new", "assigned"):
        return ticket.accept_due
    if ticket.status.value == "accepted" and ticket.paused_at is None:
        return ticket.resolve_due
    return None


def summary(ticket: Ticket, text: TicketText, now: datetime) -> dict[str, Any]:
    """What a board card shows."""
    due = due_of(ticket)
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "status_label": text.status(ticket),
        "category": text.category(ticket),
        "location": text.location(ticket),
        "urgency": ticket.urgency,
        "urgency_label": text.urgency(ticket),
        "description": ticket.description[:160],
        "assignee_id": ticket.assignee_id,
        "assignee": _name(text.settings, ticket.assignee_id),
        "due": due.isoformat() if due else None,
        "due_label": text.when(due) if due else None,
        "seconds_left": int((due - now).total_seconds()) if due else None,
        "overdue": ticket.overdue or (due is not None and due < now),
        "paused": ticket.paused_at is not None,
        "version": ticket.version,
    }


def detail(
    ticket: Ticket,
    events: list[TicketEvent],
    surveys: list[Survey],
    text: TicketText,
    now: datetime,
) -> dict[str, Any]:
    """Every field, the deadlines with time left, the timeline and the survey."""
    settings = text.settings
    dept = settings.department(ticket.department)
    out = summary(ticket, text, now)
    out.update(
        {
            "id": ticket.id,
            "kind": ticket.kind,
            "description": ticket.description,
            "department": ticket.department,
            "department_label": settings.text(dept.name, text.lang) if dept else ticket.department,
            "estate": ticket.estate,
            "unit": ticket.unit,
            "language": ticket.language,
            "created": text.when(ticket.created_at),
            "accept_due": text.when(ticket.accept_due),
            "accept_left": int((ticket.accept_due - now).total_seconds()),
            "resolve_due": text.when(ticket.resolve_due),
            "resolve_left": int((ticket.resolve_due - now).total_seconds()),
            "paused_since": text.when(ticket.paused_at) if ticket.paused_at else None,
            "resolution_note": ticket.resolution_note,
            "photos": [
                f"/api/tickets/{ticket.number}/photos/{i}" for i in range(len(ticket.photos))
            ],
            "timeline": [_event(e, text) for e in events],
            "surveys": [_survey(s, text) for s in surveys],
        }
    )
    return out


def _event(event: TicketEvent, text: TicketText) -> dict[str, Any]:
    said = event.data.get("text") or event.data.get("reason") or event.data.get("note")
    return {
        "at": text.when(event.at),
        "kind": event.kind,
        "label": text.t(f"event.{event.kind}"),
        "by": _name(text.settings, event.actor_id),
        "text": str(said)[:500] if said else None,
        "via_dashboard": event.data.get("via") == VIA,
    }


def _survey(survey: Survey, text: TicketText) -> dict[str, Any]:
    return {
        "id": survey.id,
        "status": survey.status,
        "due": text.when(survey.due_at),
        "rating": survey.rating,
        "problems": list(survey.problems),
        "comment": survey.comment,
        "followup_status": survey.followup_status,
        "followup_due": text.when(survey.followup_due) if survey.followup_due else None,
    }
