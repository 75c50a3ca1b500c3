"""Known incidents (停水、停电、电梯维保): one record instead of thirty tickets.

Pure: what an incident is, which homes and areas it covers, which incidents clash, and the
words an owner reads ("已知：3栋 14:10 起停水，预计 17:00 恢复"). The use cases are in
``bot.desk.incidents``; storage behind ``bot.store.interfaces.IncidentStore``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.promise import stamp_words
from bot.texts import Catalog

IncidentStatus = Literal["open", "closed"]
TEXT_MAX = 1000  # an incident's text and its all-clear; they head an owner's message


@dataclass(frozen=True)
class Incident:
    """A known outage or works on an estate: its scope, what it is, and when it should end.

    ``buildings`` empty means the whole estate; ``common_areas`` adds the estate's common
    areas (QR-code reports). ``texts`` and ``all_clear`` are per language (the default
    language at least). ``version`` is bumped by every change (compare-and-set).
    """

    estate: str
    buildings: tuple[str, ...]
    common_areas: bool
    category: str
    subcategory: str | None
    department: str
    texts: Mapping[str, str]
    started_at: datetime
    eta: datetime | None
    declared_by: int | None
    id: int = 0
    status: IncidentStatus = "open"
    closed_at: datetime | None = None
    all_clear: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None  # the latest update's words, as given
    version: int = 0

    @property
    def is_open(self) -> bool:
        """True until the all-clear."""
        return self.status == "open"


@dataclass(frozen=True)
class Place:
    """Where an owner's report is: a home (building and unit) or a common area."""

    estate: str
    building: str | None = None
    area: str | None = None
    area_building: str | None = None  # the building a common area belongs to, if any


def covers(incident: Incident, place: Place) -> bool:
    """Whether a report from ``place`` falls inside the incident's scope."""
    if incident.estate != place.estate:
        return False
    if place.area is not None:
        if not incident.common_areas:
            return False
        # An estate-wide area (gate, car park) is in every scope that takes common areas.
        return (
            not incident.buildings
            or place.area_building is None
            or place.area_building in incident.buildings
        )
    if place.building is None:
        return not incident.buildings
    return not incident.buildings or place.building in incident.buildings


def matches(incident: Incident, place: Place, category: str | None = None) -> bool:
    """In scope, and of the category when one is known (a ticket being linked)."""
    return covers(incident, place) and (category is None or category == incident.category)


def overlaps(a: Incident, b: Incident) -> bool:
    """Two incidents of one category whose scopes share a building (or the whole estate)."""
    if a.estate != b.estate or a.category != b.category:
        return False
    if not a.buildings or not b.buildings:
        return True
    return bool(set(a.buildings) & set(b.buildings)) or (a.common_areas and b.common_areas)


def clash(draft: Incident, open_ones: Sequence[Incident]) -> Incident | None:
    """The open incident a new one would duplicate (same category, overlapping scope)."""
    return next(
        (o for o in open_ones if o.id != draft.id and o.is_open and overlaps(draft, o)), None
    )


ScopeProblem = Literal["empty_scope", "eta_past", "no_text", "text_long", "unknown_building"]


def pick_scope(
    whole_estate: bool, picked: Sequence[str], common_areas: bool
) -> tuple[tuple[str, ...], bool] | None:
    """(buildings, common areas) from what was chosen; None for an empty scope (no building
    picked): ``()`` buildings is the whole estate (its common areas too), never "none"."""
    if whole_estate:
        return (), True
    if not picked:
        return None
    return tuple(dict.fromkeys(picked)), common_areas


def problem(
    incident: Incident, now: datetime, known_buildings: Sequence[str], default_language: str
) -> ScopeProblem | None:
    """Why an incident cannot be declared (or updated) as it stands, or None."""
    if any(b not in known_buildings for b in incident.buildings):
        return "unknown_building"
    if not (incident.texts.get(default_language) or "").strip():
        return "no_text"
    if any(len(t) > TEXT_MAX for t in (*incident.texts.values(), *incident.all_clear.values())):
        return "text_long"
    if incident.eta is not None and incident.eta <= now:
        return "eta_past"
    return None


def text_in(local: Mapping[str, str], lang: str, default_language: str) -> str:
    """The owner's language first when given, else the default language, else any."""
    for candidate in (lang, default_language):
        if (local.get(candidate) or "").strip():
            return local[candidate]
    return next((t for t in local.values() if t.strip()), "")


def moment_words(moment: datetime, now: datetime, tz: ZoneInfo, catalog: Catalog, lang: str) -> str:
    """14:10 for today, else 明天（周五）17:00: a start or an end as people say it."""
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M}"
    return stamp_words(moment, now, tz, catalog, lang)


@dataclass(frozen=True)
class Words:
    """What the words of an incident need besides the incident: names and the clock."""

    scope: str  # "3栋、5栋", "3栋 及公共区域", "全小区"
    now: datetime
    tz: ZoneInfo
    default_language: str


def headline(incident: Incident, words: Words, catalog: Catalog, lang: str) -> str:
    """已知：3栋 14:10 起停水，预计 17:00 恢复 (without an ETA: 恢复时间待定)."""
    what = text_in(incident.texts, lang, words.default_language)
    since = moment_words(incident.started_at, words.now, words.tz, catalog, lang)
    if incident.eta is None:
        return catalog.text(
            lang, "incident.known_no_eta", scope=words.scope, since=since, what=what
        )
    eta = moment_words(incident.eta, words.now, words.tz, catalog, lang)
    return catalog.text(lang, "incident.known", scope=words.scope, since=since, what=what, eta=eta)


def all_clear_words(incident: Incident, words: Words, catalog: Catalog, lang: str) -> str:
    """✅ 3栋 停水 已恢复 + the all-clear text in the owner's language first."""
    what = text_in(incident.texts, lang, words.default_language)
    note = text_in(incident.all_clear, lang, words.default_language)
    return catalog.text(lang, "incident.all_clear", scope=words.scope, what=what, note=note)


# ----- what staff type and tap ----------------------------------------------------------------

_CLOCK = re.compile(r"^(\d{1,2})[:：.](\d{2})$")
_DATED = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?\s*(\d{1,2})[:：.](\d{2})$")
_TOMORROW = ("明天", "明日", "tomorrow", "tmr")
ETA_OPTIONS = ("h1", "h2", "h4", "evening", "typed", "none")
EVENING = time(18, 0)


def eta_of(option: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The ETA a quick button stands for: +1/+2/+4 hours, or 18:00 (today's; tomorrow's once
    it has passed); None for "not known yet" and anything else."""
    hours = {"h1": 1, "h2": 2, "h4": 4}.get(option)
    if hours is not None:
        return now + timedelta(hours=hours)
    if option == "evening":
        local = now.astimezone(tz)
        evening = datetime.combine(local.date(), EVENING, tz)
        return evening if evening > now else evening + timedelta(days=1)
    return None


def parse_eta(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """A typed end time: "17:00" (today), "明天 9:00" / "tomorrow 9:00", "12-3 9:00" or
    "12月3日 9:00" (this year); None when it is none of these. A past time stays past (the
    caller refuses it) rather than being moved to another day behind the person's back."""
    words = " ".join(text.strip().casefold().split())
    local = now.astimezone(tz)
    day = local.date()
    for word in _TOMORROW:
        if words.startswith(word):
            words = words.removeprefix(word).strip()
            day += timedelta(days=1)
            break
    found = _CLOCK.match(words)
    if found is None:
        dated = _DATED.match(words)
        if dated is None:
            return None
        month, mday, hour, minute = (int(g) for g in dated.groups())
        try:
            day = date(local.year, month, mday)
        except ValueError:
            return None
    else:
        hour, minute = int(found.group(1)), int(found.group(2))
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(day, time(hour, minute), tz)


_LANGUAGE_WORDS = {
    "zh-Hans": ("zh-hans", "简", "简体", "简体中文", "普通话"),
    "zh-Hant": ("zh-hant", "繁", "繁體", "繁体", "繁體中文", "hk", "粵", "粤"),
    "en": ("en", "eng", "english", "英", "英文", "英语"),
}


def parse_translations(text: str, languages: Sequence[str]) -> dict[str, str] | None:
    """Lines "en: No water" / "繁: 停水" as texts per language; None when a line names no
    language we speak (so the person can fix it)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        head, sep, body = _split(line)
        lang = next(
            (
                code
                for code, words in _LANGUAGE_WORDS.items()
                if code in languages and head.strip().casefold() in words
            ),
            None,
        )
        if not sep or lang is None or not body.strip():
            return None
        out[lang] = body.strip()
    return out or None


def _split(line: str) -> tuple[str, str, str]:
    """A line at its first colon (either width): head, the colon, the rest."""
    for i, char in enumerate(line):
        if char in ":：":
            return line[:i], char, line[i + 1 :]
    return line, "", ""
