"""Cross-reference checks that need the whole validated config: texts, ids and references."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import Any

from pydantic import BaseModel

from bot.config.models import SUPPORTED_LANGUAGES, Settings
from bot.timewindow import TimeWindow


def check_settings(settings: Settings) -> list[str]:
    """Every cross-reference problem in a config that passed pydantic validation."""
    errors: list[str] = []
    errors += _check_required(settings)
    errors += _check_languages(settings)
    errors += _check_texts(settings)
    errors += _check_unique_ids(settings)
    errors += _check_estates(settings)
    errors += _check_categories(settings)
    errors += _check_departments(settings)
    errors += _check_staff(settings)
    errors += _check_roster(settings)
    errors += _check_hours(settings)
    return errors


def _known(ids: Iterable[object]) -> str:
    """The "(known: a, b, c)" tail of an unknown-reference message."""
    names = sorted({str(i) for i in ids})
    return f"(known: {', '.join(names)})" if names else "(none are configured)"


def _check_required(s: Settings) -> list[str]:
    """A desk with no estates, categories or urgencies cannot file a ticket."""
    wanted = (("estates", "estate"), ("categories", "category"), ("urgencies", "urgency level"))
    return [f"{key}: at least one {noun} is needed" for key, noun in wanted if not getattr(s, key)]


def _check_languages(s: Settings) -> list[str]:
    """The default language must be one of the configured ones, and none listed twice."""
    errors = []
    if s.default_language not in s.languages:
        errors.append(
            f"default_language: {s.default_language!r} is not one of languages "
            f"({', '.join(s.languages)})"
        )
    seen: set[str] = set()
    for i, lang in enumerate(s.languages):
        if lang in seen:
            errors.append(f"languages[{i}]: {lang!r} is listed twice")
        seen.add(lang)
    for i, member in enumerate(s.staff):
        if member.language is not None and member.language not in s.languages:
            errors.append(
                f"staff[{i}].language: {member.language!r} is not one of languages "
                f"({', '.join(s.languages)})"
            )
    return errors


def _walk_texts(node: Any, path: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield (path, LocalText) for every language→text mapping in the config tree."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk_texts(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk_texts(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        # Only LocalText fields are mappings in the config models.
        yield path, node


def _check_texts(s: Settings) -> list[str]:
    """Every text has every configured language; unknown language codes are typos."""
    errors = []
    for path, local in _walk_texts(s, ""):
        for lang in s.languages:
            if lang not in local:
                errors.append(f"{path}.{lang}: missing")
            elif not local[lang].strip():
                errors.append(f"{path}.{lang}: empty")
        # Supported but unconfigured languages are allowed so a language can be switched off
        # without deleting its texts.
        errors += [
            f"{path}.{lang}: unknown language (supported: {', '.join(SUPPORTED_LANGUAGES)})"
            for lang in local
            if lang not in SUPPORTED_LANGUAGES
        ]
    return errors


def _duplicates(items: Iterable[tuple[str, object]], what: str = "id") -> list[str]:
    """Report each (path, id) whose id was already seen at an earlier path."""
    first: dict[object, str] = {}
    errors = []
    for path, ident in items:
        if ident in first:
            errors.append(f"{path}: duplicate {what} {ident!r} (also at {first[ident]})")
        else:
            first[ident] = path
    return errors


def _check_unique_ids(s: Settings) -> list[str]:
    """Ids are unique within their list; area ids across all estates (deep links)."""
    errors = []
    for key in ("estates", "categories", "urgencies", "departments"):
        errors += _duplicates((f"{key}[{i}].id", x.id) for i, x in enumerate(getattr(s, key)))
    for e, estate in enumerate(s.estates):
        errors += _duplicates(
            (f"estates[{e}].buildings[{b}].id", building.id)
            for b, building in enumerate(estate.buildings)
        )
    errors += _duplicates(
        (f"estates[{e}].areas[{a}].id", area.id)
        for e, estate in enumerate(s.estates)
        for a, area in enumerate(estate.areas)
    )
    for c, category in enumerate(s.categories):
        errors += _duplicates(
            (f"categories[{c}].subcategories[{i}].id", sub.id)
            for i, sub in enumerate(category.subcategories)
        )
    errors += _duplicates(
        ((f"staff[{i}].telegram_id", m.telegram_id) for i, m in enumerate(s.staff)), "telegram_id"
    )
    return errors


def _check_estates(s: Settings) -> list[str]:
    """Areas that name a building must name one of their own estate."""
    errors = []
    for e, estate in enumerate(s.estates):
        known = [b.id for b in estate.buildings]
        for a, area in enumerate(estate.areas):
            if area.building is not None and area.building not in known:
                errors.append(
                    f"estates[{e}].areas[{a}].building: unknown building {area.building!r} "
                    f"in estate {estate.id!r} {_known(known)}"
                )
    return errors


def _check_categories(s: Settings) -> list[str]:
    """Categories name a real department and real urgencies."""
    errors = []
    departments = [d.id for d in s.departments]
    urgencies = [u.id for u in s.urgencies]
    for c, cat in enumerate(s.categories):
        where = f"categories[{c}]"
        if cat.department not in departments:
            errors.append(
                f"{where}.department: unknown department {cat.department!r} {_known(departments)}"
            )
        if cat.urgencies is not None and not cat.urgencies:
            errors.append(f"{where}.urgencies: empty (leave it out to allow every urgency)")
        for u, urgency in enumerate(cat.urgencies or []):
            if urgency not in urgencies:
                errors.append(
                    f"{where}.urgencies[{u}]: unknown urgency {urgency!r} {_known(urgencies)}"
                )
        for i, sub in enumerate(cat.subcategories):
            if sub.urgency is None:
                continue
            if sub.urgency not in urgencies:
                errors.append(
                    f"{where}.subcategories[{i}].urgency: unknown urgency {sub.urgency!r} "
                    f"{_known(urgencies)}"
                )
            elif cat.urgencies and sub.urgency not in cat.urgencies:
                errors.append(
                    f"{where}.subcategories[{i}].urgency: {sub.urgency!r} is not allowed for "
                    f"this category (allowed: {', '.join(cat.urgencies)})"
                )
    return errors


def _check_departments(s: Settings) -> list[str]:
    """A fallback (and the escalation manager) must be a supervisor or admin on the staff list."""
    errors = []
    for d, dept in enumerate(s.departments):
        if dept.fallback is not None:
            errors += _check_boss(s, f"departments[{d}].fallback", dept.fallback)
    if s.escalation.manager is not None:
        errors += _check_boss(s, "escalation.manager", s.escalation.manager)
    return errors


def _check_boss(s: Settings, where: str, telegram_id: int) -> list[str]:
    """``telegram_id`` must be a staff member with role supervisor or admin."""
    member = s.staff_member(telegram_id)
    if member is None:
        return [f"{where}: unknown staff member {telegram_id} (add them under staff)"]
    if member.role not in ("supervisor", "admin"):
        return [f"{where}: {member.name} ({telegram_id}) must have role supervisor or admin"]
    return []


def _check_staff(s: Settings) -> list[str]:
    """Staff belong to real departments and estates."""
    errors = []
    departments = [d.id for d in s.departments]
    estates = [e.id for e in s.estates]
    for i, member in enumerate(s.staff):
        for j, dept in enumerate(member.departments):
            if dept not in departments:
                errors.append(
                    f"staff[{i}].departments[{j}]: unknown department {dept!r} "
                    f"{_known(departments)}"
                )
        for j, estate in enumerate(member.estates):
            if estate not in estates:
                errors.append(
                    f"staff[{i}].estates[{j}]: unknown estate {estate!r} {_known(estates)}"
                )
    return errors


def _check_roster(s: Settings) -> list[str]:
    """Shifts and exceptions name real departments, estates and staff of that department."""
    errors = []
    departments = [d.id for d in s.departments]
    estates = [e.id for e in s.estates]
    for i, shift in enumerate(s.roster):
        where = f"roster[{i}]"
        if shift.department not in departments:
            errors.append(
                f"{where}.department: unknown department {shift.department!r} {_known(departments)}"
            )
        if shift.estate is not None and shift.estate not in estates:
            errors.append(f"{where}.estate: unknown estate {shift.estate!r} {_known(estates)}")
        for j, telegram_id in enumerate(shift.staff):
            member = s.staff_member(telegram_id)
            if member is None:
                errors.append(
                    f"{where}.staff[{j}]: unknown staff member {telegram_id} (add them under staff)"
                )
            elif shift.department in departments and shift.department not in member.departments:
                errors.append(
                    f"{where}.staff[{j}]: {member.name} ({telegram_id}) is not in department "
                    f"{shift.department!r}"
                )
    for i, exc in enumerate(s.roster_exceptions):
        where = f"roster_exceptions[{i}]"
        if s.staff_member(exc.staff) is None:
            errors.append(f"{where}.staff: unknown staff member {exc.staff} (add them under staff)")
        if exc.department is not None and exc.department not in departments:
            errors.append(
                f"{where}.department: unknown department {exc.department!r} {_known(departments)}"
            )
    return errors


def _window_problems(where: str, windows: list[TimeWindow]) -> list[str]:
    """Business-hour windows stay within one day and do not overlap."""
    errors = []
    for i, window in enumerate(windows):
        if window.overnight:
            errors.append(
                f"{where}[{i}]: '{window}' crosses midnight (business hours must stay within a "
                "day; use clock: always for round-the-clock service)"
            )
    ordered = sorted((w.start_minute, w.end_minute, str(w)) for w in windows)
    for (_, end, first), (start, _, second) in pairwise(ordered):
        if start < end:
            errors.append(f"{where}: '{first}' and '{second}' overlap")
    return errors


def _check_hours(s: Settings) -> list[str]:
    """Company and department business hours are well-formed; the calendar is consistent."""
    errors = _window_problems("business_hours.windows", s.business_hours.windows)
    if not s.business_hours.windows:
        errors.append("business_hours.windows: empty (list at least one window, e.g. 09:00-18:00)")
    if not s.business_hours.weekdays:
        errors.append("business_hours.weekdays: empty (list at least one day, e.g. mon)")
    both = set(s.business_hours.extra_holidays) & set(s.business_hours.extra_workdays)
    errors += [
        f"business_hours: {day.isoformat()} is both an extra holiday and an extra workday"
        for day in sorted(both)
    ]
    for d, dept in enumerate(s.departments):
        # Only hours written in config are checked here; inherited ones were checked above.
        if dept.business_hours is not None and dept.business_hours != s.business_hours.windows:
            errors += _window_problems(f"departments[{d}].business_hours", dept.business_hours)
    return errors
