"""Where a flow's choices come from: config.yaml's estates, categories and urgencies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.core import notice_flow
from bot.core.actions import Actor, actor_for
from bot.core.announcements import TEXT_MAX, parse_time
from bot.core.flow import Step
from bot.core.promise import stamp_words
from bot.core.proposals import guess_subject, suggested_urgency
from bot.core.runner import Option
from bot.core.scope import may_see
from bot.texts import Catalog

ESTATE_GROUNDS = "_estate"  # the "building" of places that belong to no building (car park…)
HOMES = "homes"  # the answer holding an owner's remembered homes: [[estate, building, unit]…]
WHOLE_ESTATE = "all"  # an incident's scope option: every building of the estate
NEW_UNIT, COMMON = "new_unit", "common"  # the place choices beside the remembered homes
# Answers a place choice replaces: a home sets them, another place asks them again.
_PLACE_FIELDS = ("where", "estate", "building", "unit", "area", "detail")


class ConfigContext:
    """A FlowContext over the settings and catalogs, in one person's language."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        lang: str,
        context: Mapping[str, Any] | None = None,
        units: frozenset[str] = frozenset(),
        now: datetime | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.lang = lang
        # The register's units of the building being answered (empty: no register to check).
        self.units = frozenset(_unit_key(u) for u in units)
        # Values every text of the flow may use, e.g. {number} of the ticket being worked on.
        self.context = dict(context or {})
        # The clock's now, for steps whose options or checks depend on it (notice times).
        self.now = now

    def text(self, key: str, **params: Any) -> str:
        """A catalog text in this person's language."""
        base = {"hotline": self.settings.hotline, **self.context}
        return self.catalog.text(self.lang, key, **{**base, **params})

    def local(self, names: Mapping[str, str]) -> str:
        """A config name in this person's language."""
        return self.settings.text(names, self.lang)

    def limits(self, name: str | None) -> tuple[int, int]:
        """(min, max) characters or photos for a named limit from config.yaml."""
        limits = self.settings.limits
        table = {
            "description": (limits.description_min, limits.description_max),
            "unit": (1, limits.unit_max),
            "detail": (1, limits.detail_max),
            "photos": (0, limits.photos_max),
            "photo": (0, 1),
            "notice": (1, TEXT_MAX),
        }
        return table.get(name or "", (1, 1000))

    def check(self, step: Step, answers: Mapping[str, Any], text: str) -> str | None:
        """A flat the unit register does not know is questioned once."""
        if step.limit != "unit" or not self.units or _unit_key(text) in self.units:
            return None
        estate = self.settings.estate(str(answers.get("estate")))
        building = estate.building(str(answers.get("building"))) if estate else None
        name = self.local(building.name) if building is not None else ""
        return self.text("intake.unit_unknown", building=name, unit=text)

    def accept(self, step: Step, answers: Mapping[str, Any], value: Any) -> tuple[Any, str | None]:
        """A notice's answers are checked as they are given, in the form's words."""
        if step.check != "notice" or self.now is None:
            return value, None
        kept, error = notice_flow.accept(step, answers, value, self.settings, self.now)
        if error is None:
            return kept, None
        return value, self.text(f"notice.err_{error.code}", **error.params)

    def shown(self, step: Step, value: Any) -> str:
        """A notice's time as people read it: 明天（周五）17:00."""
        if step.check == "notice" and self.now is not None:
            moment = parse_time(str(value), self.settings, self.now)
            if moment is not None:
                return stamp_words(moment, self.now, self.settings.tz, self.catalog, self.lang)
        return str(value)

    def propose(self, name: str, answers: Mapping[str, Any], text: str | None = None) -> Any:
        """A guessed answer: the subject from the description's (or ``text``'s) keywords, the
        urgency the subject suggests, the most recent remembered home."""
        words = text if text is not None else str(answers.get("description") or "")
        if name == "category":
            guess = guess_subject(self.settings, words)
            return guess[0] if guess else None
        if name == "subcategory":
            guess = guess_subject(self.settings, words, str(answers.get("category")))
            return guess[1] if guess else None
        if name == "urgency" and text is None:
            found = suggested_urgency(
                self.settings, str(answers.get("category")), answers.get("subcategory")
            )
            return found or None
        if name == "place" and text is None:
            homes = _homes(self.settings, answers)
            return home_id(*homes[0]) if homes else NEW_UNIT
        return None

    def options(self, step: Step, answers: Mapping[str, Any]) -> Sequence[Option]:
        """The options of a choice step: fixed ones from the flow or a config source."""
        if step.options:
            return [Option(o, self.text(f"{step.ask}.{o}")) for o in step.options]
        return SOURCES[step.source or ""](self, answers)


def _unit_key(unit: str) -> str:
    """A unit as compared with the register: case and spaces do not count."""
    return "".join(unit.split()).casefold()


def _categories(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    # Picking a category asks its subcategory afresh (a guess from before does not carry over).
    clear = {"subcategory": None}
    return [Option(c.id, ctx.local(c.name), sets=clear) for c in ctx.settings.categories]


def _subcategories(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    category = ctx.settings.category(str(answers.get("category")))
    if category is None:
        return []
    hotline = ctx.text("intake.hotline_card", hotline=ctx.settings.hotline)
    return [
        Option(
            s.id,
            ctx.local(s.name),
            note=f"⚠️ {ctx.local(s.safety)}\n{hotline}" if s.safety else None,
        )
        for s in category.subcategories
    ]


def _estates(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    return [Option(e.id, ctx.local(e.name)) for e in ctx.settings.estates]


def _buildings(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    estate = ctx.settings.estate(str(answers.get("estate")))
    if estate is None:
        return []
    return [Option(b.id, ctx.local(b.name)) for b in estate.buildings]


def _area_buildings(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """Buildings that have common areas, plus the estate grounds when places belong to none."""
    estate = ctx.settings.estate(str(answers.get("estate")))
    if estate is None:
        return []
    with_areas = {a.building for a in estate.areas}
    options = [Option(b.id, ctx.local(b.name)) for b in estate.buildings if b.id in with_areas]
    if None in with_areas:
        options.append(Option(ESTATE_GROUNDS, ctx.text("intake.estate_grounds")))
    return options


def _areas(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    estate = ctx.settings.estate(str(answers.get("estate")))
    if estate is None:
        return []
    building = answers.get("building")
    wanted = None if building == ESTATE_GROUNDS else building
    return [Option(a.id, ctx.local(a.name)) for a in estate.areas if a.building == wanted]


def _urgencies(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    hotline = ctx.text("intake.hotline_card", hotline=ctx.settings.hotline)
    category = ctx.settings.category(str(answers.get("category")))
    sub = category.subcategory(str(answers.get("subcategory"))) if category else None
    suggested = sub.urgency if sub is not None else None
    return [
        Option(
            u.id,
            ctx.local(u.name) + (ctx.text("intake.suggested") if u.id == suggested else ""),
            hint=ctx.local(u.hint),
            note=hotline if u.show_hotline else None,
        )
        for u in ctx.settings.urgencies_for(str(answers.get("category")))
    ]


def home_id(estate: str, building: str, unit: str) -> str:
    """The option id of a remembered home (never travels: buttons carry an index and a tag)."""
    return f"h:{estate}/{building}/{unit}"


def _homes(settings: Settings, answers: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The remembered homes that still exist in the config, newest first."""
    homes = []
    for raw in answers.get(HOMES) or ():
        if not isinstance(raw, list | tuple) or len(raw) != 3:
            continue
        estate = settings.estate(str(raw[0]))
        if estate is not None and estate.building(str(raw[1])) is not None:
            homes.append((str(raw[0]), str(raw[1]), str(raw[2])))
    return homes


def home_label(ctx: ConfigContext, estate_id: str, building_id: str, unit: str) -> str:
    """A home as an owner reads it: estate, building, flat."""
    estate = ctx.settings.estate(estate_id)
    building = estate.building(building_id) if estate is not None else None
    if estate is None or building is None:
        return unit
    return f"{ctx.local(estate.name)} · {ctx.local(building.name)} · {unit}"


def _places(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """The owner's remembered homes (one tap each), another flat, or a common area."""
    clear: dict[str, Any] = dict.fromkeys(_PLACE_FIELDS)
    options = [
        Option(
            home_id(e, b, u),
            "🏠 " + home_label(ctx, e, b, u),
            sets={**clear, "where": "unit", "estate": e, "building": b, "unit": u},
        )
        for e, b, u in _homes(ctx.settings, answers)
    ]
    options.append(
        Option(NEW_UNIT, ctx.text("intake.place_new_unit"), sets={**clear, "where": "unit"})
    )
    options.append(
        Option(COMMON, ctx.text("intake.place_common"), sets={**clear, "where": "common"})
    )
    return options


def _transfer_targets(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """Other departments, then colleagues in the ticket's department (not the one asking)."""
    here = str(answers.get("department"))
    me = answers.get("actor")
    options = [
        Option(f"d:{d.id}", "➡ " + ctx.local(d.name))
        for d in ctx.settings.departments
        if d.id != here
    ]
    options.extend(
        Option(f"s:{m.telegram_id}", "👤 " + m.name)
        for m in ctx.settings.staff
        if here in m.departments and m.telegram_id != me
    )
    return options


def _actor(ctx: ConfigContext, answers: Mapping[str, Any]) -> Actor | None:
    me = answers.get("actor")
    return actor_for(ctx.settings, me) if isinstance(me, int) else None


def _incident_estates(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """The estates someone may declare an incident on (their patch)."""
    actor = _actor(ctx, answers)
    return [
        Option(e.id, ctx.local(e.name))
        for e in ctx.settings.estates
        if actor is not None and (not actor.estates or e.id in actor.estates)
    ]


def _incident_buildings(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """The whole estate first, then each building (several may be picked)."""
    estate = ctx.settings.estate(str(answers.get("estate")))
    if estate is None:
        return []
    every = Option(WHOLE_ESTATE, ctx.text("incident.whole_estate"))
    return [every, *(Option(b.id, ctx.local(b.name)) for b in estate.buildings)]


def _incident_categories(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """The categories whose department someone works for on the estate chosen."""
    actor = _actor(ctx, answers)
    estate = str(answers.get("estate"))
    return [
        Option(c.id, ctx.local(c.name))
        for c in ctx.settings.categories
        if actor is not None and may_see(actor, c.department, estate)
    ]


Source = Callable[[ConfigContext, Mapping[str, Any]], list[Option]]
SOURCES: dict[str, Source] = {
    "categories": _categories,
    "subcategories": _subcategories,
    "estates": _estates,
    "buildings": _buildings,
    "area_buildings": _area_buildings,
    "areas": _areas,
    "urgencies": _urgencies,
    "places": _places,
    "transfer_targets": _transfer_targets,
    "incident_estates": _incident_estates,
    "incident_buildings": _incident_buildings,
    "incident_categories": _incident_categories,
    "notice_estates": notice_flow.estates,
    "notice_buildings": notice_flow.buildings,
    "notice_starts": notice_flow.starts,
    "notice_languages": notice_flow.languages,
}
SOURCE_NAMES: tuple[str, ...] = tuple(SOURCES)


def area_prefill(settings: Settings, area_id: str) -> dict[str, str] | None:
    """The location answers a QR code's area id stands for, or None if it is unknown."""
    found = settings.area(area_id)
    if found is None:
        return None
    estate, area = found
    return {
        "place": COMMON,
        "where": "common",
        "estate": estate.id,
        "building": area.building or ESTATE_GROUNDS,
        "area": area.id,
        "detail": "",
    }
