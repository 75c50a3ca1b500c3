"""How tickets read to people: confirmation, list lines, details and timeline, in any language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.core.fitting import clip
from bot.core.models import Ticket, TicketEvent
from bot.durations import format_duration
from bot.texts import Catalog

STATUS_ICONS = {
    "new": "🆕",
    "assigned": "📨",
    "accepted": "🛠",
    "resolved": "✅",
    "closed": "📁",
    "cancelled": "✖",
}


class TicketText:
    """Renders tickets for one language."""

    def __init__(self, settings: Settings, catalog: Catalog, lang: str) -> None:
        self.settings = settings
        self.catalog = catalog
        self.lang = lang
        self.tz = ZoneInfo(settings.timezone)

    def t(self, key: str, **params: object) -> str:
        """A catalog text in this language."""
        return self.catalog.text(self.lang, key, **params)

    def when(self, moment: datetime) -> str:
        """A local date and time, e.g. 2026-11-26 14:35."""
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def span(self, delta: timedelta, *, business: bool = False) -> str:
        """A duration the way a person says it (30 min, 2 h, 2 working days)."""
        minutes = int(delta.total_seconds() // 60)
        if minutes < 60:
            return self.t("time.minutes", n=max(minutes, 1))
        if minutes % (24 * 60) == 0:
            days = minutes // (24 * 60)
            if days == 1 and not business:
                return self.t("time.one_day")
            key = "time.working_days" if business else "time.days"
            return self.t(key, n=days)
        if minutes % 60 == 0:
            key = "time.business_hours" if business else "time.hours"
            return self.t(key, n=minutes // 60)
        return format_duration(delta)

    def status(self, ticket: Ticket) -> str:
        """Icon and name of the ticket's status."""
        value = ticket.status.value
        return f"{STATUS_ICONS.get(value, '')} {self.t(f'status.{value}')}"

    def category(self, ticket: Ticket) -> str:
        """Category (and subcategory) name."""
        cat = self.settings.category(ticket.category)
        name = self.settings.text(cat.name, self.lang) if cat else ticket.category
        if cat and ticket.subcategory:
            sub = next((s for s in cat.subcategories if s.id == ticket.subcategory), None)
            if sub:
                name += " · " + self.settings.text(sub.name, self.lang)
        return name

    def location(self, ticket: Ticket, *, unit: bool = True) -> str:
        """Estate, building and unit (unless ``unit`` is False) or area, plus the detail."""
        estate = self.settings.estate(ticket.estate)
        parts = [self.settings.text(estate.name, self.lang) if estate else ticket.estate]
        if estate and ticket.building:
            building = next((b for b in estate.buildings if b.id == ticket.building), None)
            name = self.settings.text(building.name, self.lang) if building else ticket.building
            parts.append(name)
        if ticket.unit and unit:
            parts.append(self.t("ticket.unit", unit=ticket.unit))
        if ticket.area:
            found = self.settings.area(ticket.area)
            parts.append(self.settings.text(found[1].name, self.lang) if found else ticket.area)
        text = " · ".join(parts)
        return f"{text} ({ticket.location_detail})" if ticket.location_detail else text

    def urgency(self, ticket: Ticket) -> str:
        """The urgency's name."""
        level = self.settings.urgency(ticket.urgency)
        return self.settings.text(level.name, self.lang) if level else ticket.urgency

    def confirmation(self, ticket: Ticket) -> str:
        """What the owner reads once the ticket is stored: its number and our promise."""
        level = self.settings.urgency(ticket.urgency)
        accept, _ = self.settings.deadlines(ticket.category, ticket.urgency)
        business = level is not None and level.clock == "business"
        lines = [
            self.t("ticket.created", number=ticket.number),
            self.t(
                "ticket.promise",
                within=self.span(accept, business=business),
                by=self.when(ticket.accept_due),
            ),
        ]
        if level is not None and level.show_hotline:
            lines.append(self.t("intake.hotline_card", hotline=self.settings.hotline))
        lines.append(self.t("ticket.track_hint"))
        return "\n\n".join(lines)

    def list_line(self, ticket: Ticket) -> str:
        """One line of /my: number, category, status."""
        return f"{ticket.number} · {self.category(ticket)} · {self.status(ticket)}"

    def next_deadline(self, ticket: Ticket) -> str | None:
        """The promise still open: respond by …, or resolve by … (None once resolved)."""
        if ticket.status.value in ("new", "assigned"):
            return f"{self.t('field.accept_due')}: {self.when(ticket.accept_due)}"
        if ticket.status.value == "accepted":
            return f"{self.t('field.resolve_due')}: {self.when(ticket.resolve_due)}"
        return None

    def details(
        self, ticket: Ticket, events: list[TicketEvent], *, owner_view: bool = False
    ) -> str:
        """The full ticket with its timeline (an owner never sees internal notes)."""
        lines = [
            self.t("ticket.details_title", number=ticket.number),
            f"{self.t('field.status')}: {self.status(ticket)}",
            f"{self.t('field.category')}: {self.category(ticket)}",
            f"{self.t('field.location')}: {self.location(ticket)}",
            f"{self.t('field.urgency')}: {self.urgency(ticket)}",
            f"{self.t('field.description')}: {ticket.description}",
            f"{self.t('field.photos')}: {self.t('flow.photos_summary', count=len(ticket.photos))}",
            f"{self.t('field.created')}: {self.when(ticket.created_at)}",
            f"{self.t('field.accept_due')}: {self.when(ticket.accept_due)}",
            f"{self.t('field.resolve_due')}: {self.when(ticket.resolve_due)}",
        ]
        if ticket.resolution_note:
            lines.append(f"{self.t('field.result')}: {ticket.resolution_note}")
        lines += ["", self.t("ticket.timeline")]
        hidden = _OWNER_HIDDEN if owner_view else frozenset()
        for e in events:
            if e.kind in hidden:
                continue
            said = e.data.get("text") if e.kind in _QUOTED else None
            quote = f": {clip(str(said), 200)}" if said else ""
            via = f" ({self.t('web.via_dashboard')})" if e.data.get("via") == "dashboard" else ""
            lines.append(f"• {self.when(e.at)} {self.t(f'event.{e.kind}')}{via}{quote}")
        return "\n".join(lines)


# Internal matters (notes, escalations, delivery trouble) stay off the owner's timeline.
_OWNER_HIDDEN = frozenset({"note", "escalated", "delivery_failed"})
_QUOTED = frozenset({"note", "reply", "owner_message", "reopened"})
