"""How tickets read to people: confirmation, list lines, details and timeline, in any language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.core.calendars import Calendars
from bot.core.fitting import clip
from bot.core.models import Ticket, TicketEvent
from bot.core.promise import closure_words, due_words, left_words, stamp_words
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

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        lang: str,
        *,
        now: datetime | None = None,
        calendars: Calendars | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.lang = lang
        self.tz = ZoneInfo(settings.timezone)
        # "now" makes dates read as 今天/明天 and gives time left; without it dates are spelled.
        self.now = now
        self.calendars = calendars

    def t(self, key: str, **params: object) -> str:
        """A catalog text in this language."""
        return self.catalog.text(self.lang, key, **params)

    def when(self, moment: datetime) -> str:
        """A local date and time in words: 今天 14:35, 12月8日（周四）10:10."""
        return stamp_words(moment, self.now, self.tz, self.catalog, self.lang)

    def due(self, moment: datetime) -> str:
        """A deadline in words: 今天 10:05 前, 明天（周五）10:20 前, 12月8日（周四）10:10 前."""
        now = self.now or moment
        return due_words(now, moment, self.tz, self.catalog, self.lang)

    def left(self, moment: datetime) -> str:
        """Time left until a deadline (剩 5 分钟), or how late it is; "" without a now."""
        return left_words(self.now, moment, self.catalog, self.lang) if self.now else ""

    def due_left(self, label_key: str, moment: datetime) -> str:
        """A deadline with the time left, for staff: 响应时限：今天 10:05 前（剩 5 分钟）."""
        if self.now is None:
            return f"{self.t(label_key)}: {self.due(moment)}"
        left = left_words(self.now, moment, self.catalog, self.lang)
        return self.t("card.due", label=self.t(label_key), when=self.due(moment), left=left)

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

    def place(self, ticket: Ticket, *, unit: bool = True, estate: bool = False) -> str:
        """The place in short: 3栋大堂, 3栋 1502 室 (the estate after it when ``estate``)."""
        found = self.settings.estate(ticket.estate)
        parts: list[str] = []
        if ticket.area:
            area = self.settings.area(ticket.area)
            # An area's name already says its building ("3栋大堂").
            parts.append(self.settings.text(area[1].name, self.lang) if area else ticket.area)
        else:
            if found and ticket.building:
                building = found.building(ticket.building)
                name = self.settings.text(building.name, self.lang) if building else None
                parts.append(name or ticket.building)
            if ticket.unit and unit:
                parts.append(self.t("ticket.unit", unit=ticket.unit))
        text = " ".join(parts)
        if not parts or estate:
            name = self.settings.text(found.name, self.lang) if found else ticket.estate
            text = f"{text} · {name}" if text else name
        return f"{text}（{ticket.location_detail}）" if ticket.location_detail else text

    def urgency(self, ticket: Ticket) -> str:
        """The urgency's name."""
        level = self.settings.urgency(ticket.urgency)
        return self.settings.text(level.name, self.lang) if level else ticket.urgency

    def problem(self, ticket: Ticket) -> str:
        """What the owner reported, by its finest name (爆管或漏水)."""
        cat = self.settings.category(ticket.category)
        sub = cat.subcategory(ticket.subcategory) if cat and ticket.subcategory else None
        if sub is not None:
            return self.settings.text(sub.name, self.lang)
        return self.settings.text(cat.name, self.lang) if cat else ticket.category

    def acknowledgement(self, ticket: Ticket) -> str:
        """A word for the person behind the report, by its kind and urgency."""
        cat = self.settings.category(ticket.category)
        kind = cat.kind if cat else "repair"
        if kind in ("suggestion", "praise"):
            return self.t("ticket.ack.feedback")
        if kind == "enquiry":
            return self.t("ticket.ack.enquiry")
        if ticket.urgency in ("emergency", "urgent"):
            return self.t(f"ticket.ack.{ticket.urgency}")
        return self.t("ticket.ack.complaint" if kind == "complaint" else "ticket.ack.routine")

    def far_reason(self, ticket: Ticket, moment: datetime) -> str | None:
        """Why a business-clock deadline waits over days off (国庆节假期…只处理紧急报修)."""
        level = self.settings.urgency(ticket.urgency)
        if self.now is None or self.calendars is None or level is None:
            return None
        if level.clock != "business":
            return None
        cal = self.calendars.of(ticket.department)
        return closure_words(self.now, moment, cal, self.catalog, self.lang)

    def confirmation(self, ticket: Ticket) -> str:
        """What the owner reads once the ticket is stored: number, a kind word and promises."""
        level = self.settings.urgency(ticket.urgency)
        cat = self.settings.category(ticket.category)
        repair = cat is None or cat.kind in ("repair", "complaint")
        head = [
            self.t("ticket.created", number=ticket.number, problem=self.problem(ticket)),
            self.acknowledgement(ticket),
        ]
        promises = [self.t("ticket.promise", when=self.due(ticket.accept_due))]
        reason = self.far_reason(ticket, ticket.accept_due)
        if reason:
            promises.append(self.t("ticket.far", reason=reason))
        fix_key = "ticket.fix_by" if repair else "ticket.answer_by"
        promises.append(self.t(fix_key, when=self.due(ticket.resolve_due)))
        if level is not None and level.show_hotline:
            promises.append(self.t("ticket.hotline_emergency", hotline=self.settings.hotline))
        else:
            promises.append(self.t("ticket.worse_hotline", hotline=self.settings.hotline))
        lines = ["\n".join(head), "\n".join(promises), self.t("ticket.track_hint")]
        return "\n\n".join(lines)

    def list_line(self, ticket: Ticket) -> str:
        """One line of /my: number, category, status."""
        return f"{ticket.number} · {self.category(ticket)} · {self.status(ticket)}"

    def next_deadline(self, ticket: Ticket) -> str | None:
        """The promise still open: respond by …, or resolve by … (None once resolved)."""
        if ticket.status.value in ("new", "assigned"):
            return f"{self.t('field.accept_due')}: {self.due(ticket.accept_due)}"
        if ticket.status.value == "accepted":
            return f"{self.t('field.resolve_due')}: {self.due(ticket.resolve_due)}"
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
            f"{self.t('field.accept_due')}: {self.due(ticket.accept_due)}",
            f"{self.t('field.resolve_due')}: {self.due(ticket.resolve_due)}",
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
_OWNER_HIDDEN = frozenset({"note", "escalated", "delivery_failed", "followup_done"})
_QUOTED = frozenset(
    {"note", "reply", "owner_message", "reopened", "followup_reply", "followup_done"}
)
