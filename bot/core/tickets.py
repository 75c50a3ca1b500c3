"""Turning a finished intake into a ticket draft: numbers, departments and deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bot.config import Settings
from bot.core.calendars import Calendars
from bot.core.duetimes import deadlines_from
from bot.core.models import TicketDraft
from bot.core.sources import ESTATE_GROUNDS


def ticket_number(prefix: str, day: date, sequence: int) -> str:
    """A short readable number: prefix, local date, the day's sequence (HV-20261126-0007)."""
    return f"{prefix}-{day:%Y%m%d}-{sequence:04d}"


def draft_from_answers(
    answers: Mapping[str, Any],
    settings: Settings,
    calendars: Calendars,
    owner_id: int,
    lang: str,
    now: datetime,
) -> TicketDraft:
    """The ticket an intake's answers describe (answers were validated by the flow)."""
    category = settings.category(str(answers["category"]))
    assert category is not None
    accept_due, resolve_due = deadlines_from(
        settings, calendars.of(category.department), category.id, str(answers["urgency"]), now
    )
    building = answers.get("building")
    return TicketDraft(
        owner_id=owner_id,
        kind=category.kind,
        category=category.id,
        subcategory=answers.get("subcategory"),
        department=category.department,
        estate=str(answers["estate"]),
        building=None if building in (None, ESTATE_GROUNDS) else str(building),
        unit=answers.get("unit") if answers.get("where") == "unit" else None,
        area=answers.get("area") if answers.get("where") == "common" else None,
        location_detail=answers.get("detail") or None,
        urgency=str(answers["urgency"]),
        description=str(answers["description"]),
        photos=tuple(answers.get("photos") or ()),
        language=lang,
        created_at=now,
        accept_due=accept_due,
        resolve_due=resolve_due,
    )
