"""Where a flow's choices come from: config.yaml's estates, categories and urgencies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.config import Settings
from bot.core.flow import Step
from bot.core.runner import Option
from bot.texts import Catalog

ESTATE_GROUNDS = "_estate"  # the "building" of places that belong to no building (car park…)


class ConfigContext:
    """A FlowContext over the settings and catalogs, in one person's language."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        lang: str,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.lang = lang
        # Values every text of the flow may use, e.g. {number} of the ticket being worked on.
        self.context = dict(context or {})

    def text(self, key: str, **params: Any) -> str:
        """A catalog text in this person's language."""
        return self.catalog.text(self.lang, key, **{**self.context, **params})

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
        }
        return table.get(name or "", (1, 1000))

    def options(self, step: Step, answers: Mapping[str, Any]) -> Sequence[Option]:
        """The options of a choice step: fixed ones from the flow or a config source."""
        if step.options:
            return [Option(o, self.text(f"{step.ask}.{o}")) for o in step.options]
        return SOURCES[step.source or ""](self, answers)


def _categories(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    return [Option(c.id, ctx.local(c.name)) for c in ctx.settings.categories]


def _subcategories(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    category = ctx.settings.category(str(answers.get("category")))
    if category is None:
        return []
    return [Option(s.id, ctx.local(s.name)) for s in category.subcategories]


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
    hotline = ctx.text("intake.hotline_now", hotline=ctx.settings.hotline)
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


Source = Callable[[ConfigContext, Mapping[str, Any]], list[Option]]
SOURCES: dict[str, Source] = {
    "categories": _categories,
    "subcategories": _subcategories,
    "estates": _estates,
    "buildings": _buildings,
    "area_buildings": _area_buildings,
    "areas": _areas,
    "urgencies": _urgencies,
    "transfer_targets": _transfer_targets,
}
SOURCE_NAMES: tuple[str, ...] = tuple(SOURCES)


def area_prefill(settings: Settings, area_id: str) -> dict[str, str] | None:
    """The location answers a QR code's area id stands for, or None if it is unknown."""
    found = settings.area(area_id)
    if found is None:
        return None
    estate, area = found
    return {
        "where": "common",
        "estate": estate.id,
        "building": area.building or ESTATE_GROUNDS,
        "area": area.id,
    }
