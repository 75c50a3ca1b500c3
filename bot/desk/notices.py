"""What a ticket's change makes people read: notices as messages, and the cards to refresh.

Pure functions of the ticket, the notice and the settings (``TicketDesk`` calls them); the
messages are channel-neutral (``bot.core.models.Outgoing``), the channel renders them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.config import Settings
from bot.core.card_audience import LEFT
from bot.core.fitting import CAPTION_LIMIT, TEXT_LIMIT, fill
from bot.core.language import note_language_differs
from bot.core.lifecycle import Notice
from bot.core.models import Outgoing, Priority, Status, Ticket, action_ref
from bot.core.relays import RelayHold
from bot.core.staff_names import shown_name
from bot.core.surveys import RATINGS, stars
from bot.core.ticket_text import TicketText
from bot.desk.context import DeskServices

# Notices that go before relays and notices when messages must wait: missed deadlines.
_ALERT_ENDINGS = (".escalated", ".overdue")


def notice_message(
    services: DeskServices, text: TicketText, person: int, lang: str, notice: Notice, ticket: Ticket
) -> Outgoing:
    """A notice as the message a person reads (the owner's "resolved" carries the rating)."""
    params = readable(services, notice.params, lang, owner=notice.key.startswith("notify.owner."))
    body = text.t(notice.key, **params)
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    photo: str | None = None
    if notice.key == "notify.owner.resolved":
        photo = ticket.resolution_photo
        # The first survey question comes with the news: a rating says "fixed" too.
        buttons = (
            *(
                (
                    (
                        f"{stars(r)} {text.t(f'survey.rating.{r}')}",
                        action_ref(f"owner.rate{r}", ticket.id),
                    ),
                )
                for r in RATINGS
            ),
            ((text.t("owner.btn_not_fixed"), action_ref("owner.notfixed", ticket.id)),),
        )
        other = note_language_differs(str(params.get("note") or ""), lang)
        params["note_language"] = text.t(f"notify.note_in.{other}") if other else ""
    elif notice.key == "notify.owner.reply":
        photo = str(notice.params.get("photo") or "") or None
    elif notice.key == "notify.assignee.owner_message":
        photos = notice.params.get("photos")
        if isinstance(photos, list | tuple) and photos:
            photo = str(photos[0])
    # A long note or message gives way (visibly "…"), never the question after it.
    limit = CAPTION_LIMIT if photo else TEXT_LIMIT
    body = fill(lambda p: text.t(notice.key, **p), params, limit, ("note", "text", "reason"))
    alert = notice.key.endswith(_ALERT_ENDINGS)
    priority = Priority.ALERT if alert else Priority.NOTICE
    return Outgoing(person, body, buttons, photo=photo, ticket_id=ticket.id, priority=priority)


def held_notice(text: TicketText, person: int, ticket: Ticket, hold: RelayHold) -> Outgoing:
    """The "N more messages, see /ticket" notice, sent when the relay window has room
    again; each further held message replaces it with a higher count while it waits."""
    body = text.t("notify.relays_held", number=ticket.number, count=hold.count)
    until = hold.until
    return Outgoing(person, body, ticket_id=ticket.id, not_before=until, collapse="relays")


def readable(
    services: DeskServices, params: Mapping[str, object], lang: str, *, owner: bool = False
) -> dict[str, Any]:
    """Ids in notice parameters become names a person understands (owners read the
    staff member's display name, never the internal label)."""
    settings = services.settings
    out: dict[str, Any] = {k: ("" if v is None else v) for k, v in params.items()}
    for key in ("to", "by"):
        value = params.get(key)
        if isinstance(value, int):
            member = settings.staff_member(value)
            name = member.name if member else str(value)
            if owner and member is not None:
                name = shown_name(settings, value, lang)
            out[f"{key}_name"] = name
    for key in ("to_department", "from_department", "department"):
        value = params.get(key)
        dept = settings.department(str(value)) if value else None
        if dept is not None:
            out[key] = settings.text(dept.name, lang)
    if "stage" in params:
        out["stage"] = services.catalog.text(lang, f"stage.{params['stage']}")
    out.setdefault("to_name", "")
    out.setdefault("text", "")
    out.setdefault("reason", "")
    return out


def card_messages(
    settings: Settings, after: Ticket, existing: Mapping[int, str], *, new_assignee: bool = True
) -> list[Outgoing]:
    """Card messages for the chats that hold a card, the assignee, and the group."""
    # A card the ticket has left said so once (Cards.deliver) and is not touched again.
    chats = {chat: audience for chat, audience in existing.items() if audience != LEFT}
    if (
        after.assignee_id is not None
        and after.assignee_id not in chats
        and (new_assignee or after.status in (Status.NEW, Status.ASSIGNED))
    ):
        chats[after.assignee_id] = "staff"
    dept = settings.department(after.department)
    if (
        dept is not None
        and dept.group_chat_id is not None
        and after.status in (Status.NEW, Status.ASSIGNED)
    ):
        chats.setdefault(dept.group_chat_id, "group")
    messages: list[Outgoing] = []
    for chat, audience in chats.items():
        messages.append(Outgoing(chat, "", ticket_id=after.id, card=audience))
        if existing.get(chat, LEFT) == LEFT and len(after.photos) > 1 and audience == "staff":
            # A new staff card is the caption of the owner's first photo; the others follow
            # it as an album (never to the group: they may show the owner's home).
            messages.append(Outgoing(chat, "", ticket_id=after.id, photos=after.photos[1:]))
    return [as_alert(m) for m in messages]  # cards go before relays and notices


def as_alert(message: Outgoing) -> Outgoing:
    """The message at least at alert priority (a reply stays a reply)."""
    return replace(message, priority=min(message.priority, Priority.ALERT))
