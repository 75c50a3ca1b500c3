"""The supervisor's follow-up card (回访卡): one message, redrawn as the owner adds answers
and as the call-back is done, with everything needed to make the call."""

from __future__ import annotations

from bot.core.models import Survey, Ticket, TicketEvent
from bot.core.surveys import stars
from bot.core.ticket_text import TicketText


def _last(events: list[TicketEvent], kind: str) -> TicketEvent | None:
    return next((e for e in reversed(events) if e.kind == kind), None)


def followup_card(
    text: TicketText,
    survey: Survey,
    ticket: Ticket,
    events: list[TicketEvent],
    owner_name: str,
    owner_phone: str | None = None,
) -> str:
    """Rating, problems, comment, owner, engineer, the ticket's times and the call's state."""
    t = text.t
    rating = survey.rating or 0
    problems = t("list.sep").join(t(f"survey.ask_problems.{p}") for p in survey.problems)
    engineer = text.settings.staff_member(survey.staff_id) if survey.staff_id else None
    lines = [
        t("followup.title", number=ticket.number, category=text.category(ticket)),
        t("followup.rating", stars=stars(rating), label=t(f"survey.rating.{rating}"))
        if rating
        else t("followup.rating", stars="—", label=""),
        t("followup.problems", problems=problems or "—"),
        t("followup.comment", comment=survey.comment or "—"),
        t("followup.owner", owner=owner_name, phone=owner_phone or t("followup.no_phone")),
        t("followup.engineer", engineer=engineer.name if engineer else "—"),
    ]
    times = []
    for kind in ("accepted", "started", "resolved"):
        event = _last(events, kind)
        if event is not None:
            times.append(t(f"followup.time.{kind}", when=text.when(event.at)))
    if times:
        lines.append(" · ".join(times))
    done = _last(events, "followup_done")
    if survey.followup_status == "open" and survey.followup_due is not None:
        lines.append("⏱ " + text.due_left("followup.due", survey.followup_due))
        lines.append(t("followup.reply_hint"))
    elif survey.followup_status == "done":
        outcome = str(done.data.get("text") or "") if done else ""
        lines.append(t("followup.state_done", outcome=outcome or "—"))
    elif survey.followup_status == "reopened":
        lines.append(t("followup.state_reopened"))
    return "\n".join(lines)
