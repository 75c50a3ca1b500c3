"""Public holidays of the configured region, read from python-holidays (CN, HK, TW, SG, MY …).

This is the only module that touches python-holidays, so its quirks stay in one place:
- ``date in holidays.CN()`` knows the days off but not the make-up working days; those live in
  the separate ``weekend_workdays`` set that only the library's working-day helpers consult.
- For a year with no official State Council notice in its data, the library silently estimates
  the mainland's statutory days (and their ``observed`` substitutes) with no make-up days at all.
  The years it has official data for are the keys of the China class's
  ``special_public_holidays`` table, which is where each year's substitutions are recorded.
  Other regions' holidays follow fixed rules (or a lunar table), so only CN is warned about.
- Holiday names come in the library's own locales; ours map onto them (zh-Hant prefers Hong
  Kong wording, then Taiwan's), else the region's default language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from holidays import HolidayBase, country_holidays, list_supported_countries

# Our languages → python-holidays locales to try, best first ({c} is the region's code).
_LOCALES: dict[str, tuple[str, ...]] = {
    "zh-Hans": ("zh_CN",),
    "zh-Hant": ("zh_HK", "zh_TW"),
    "en": ("en_{c}", "en_US", "en_GB"),
}


@dataclass(frozen=True)
class RegionDays:
    """Days off, make-up working days, the years that are only estimates, and holiday names."""

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    estimated_years: tuple[int, ...]
    # date → language → the holiday's name in that language (e.g. 国庆节 / 國慶日 / National Day)
    names: Mapping[date, Mapping[str, str]] = field(default_factory=dict)


# Kept for callers of the mainland-only era.
CnDays = RegionDays


def supported(country: str) -> bool:
    """True when python-holidays has a calendar for this two-letter region code."""
    return country.upper() in list_supported_countries()


def _official_years(cal: HolidayBase) -> frozenset[int]:
    """Years for which the library carries the State Council's published schedule."""
    # Not part of HolidayBase's typed surface, hence getattr; an absent table means no year is
    # official, which errs towards warning rather than trusting estimates.
    table = getattr(cal, "special_public_holidays", None)
    if not isinstance(table, Mapping):
        return frozenset()
    return frozenset(y for y in table if isinstance(y, int))


def _locale(cal: HolidayBase, country: str, lang: str) -> str | None:
    """The library's locale for one of our languages, or None for the region's default."""
    offered = tuple(getattr(cal, "supported_languages", ()) or ())
    for pattern in _LOCALES.get(lang, ()):
        wanted = pattern.format(c=country)
        if wanted in offered:
            return wanted
    return None


def region_days(
    country: str, years: Iterable[int], languages: Iterable[str] = ("zh-Hans", "zh-Hant", "en")
) -> RegionDays:
    """Public holidays (with names) and make-up working days of a region for the given years."""
    wanted = sorted(set(years))
    if not wanted:
        return RegionDays(frozenset(), frozenset(), ())
    country = country.upper()
    cal = country_holidays(country, years=wanted)
    year_set = set(wanted)
    days_off = frozenset(d for d in cal if d.year in year_set)
    # weekend_workdays can also hold cross-year entries from other years' notices; keep only the
    # asked-for years so the result does not depend on which years the library has loaded.
    makeup = frozenset(d for d in getattr(cal, "weekend_workdays", ()) if d.year in year_set)
    estimated: tuple[int, ...] = ()
    if country == "CN":
        official = _official_years(cal)
        estimated = tuple(y for y in wanted if y not in official)
    names: dict[date, dict[str, str]] = {d: {} for d in days_off}
    for lang in languages:
        locale = _locale(cal, country, lang)
        named = country_holidays(country, years=wanted, language=locale) if locale else cal
        for day in days_off:
            names[day][lang] = holiday_name(str(named.get(day) or ""))
    return RegionDays(days_off, makeup, estimated, names)


def cn_days(years: Iterable[int]) -> RegionDays:
    """Public holidays and make-up working days of mainland China for the given years."""
    return region_days("CN", years)


# "国庆节（补假）", "Day off (substituted from 09/20/2026)", "休息日（由 2026-09-20 调休）":
# the part in brackets says why the day is off, not which holiday it belongs to.
_BRACKETED = re.compile(r"\s*[（(][^（()）]*[)）]\s*$")
_SUBSTITUTE = ("休息日", "放假日", "day off", "observed", "補假", "补假")


def holiday_name(raw: str) -> str:
    """The holiday's own name without the library's notes; "" for a swapped rest day."""
    name = _BRACKETED.sub("", raw.split(";")[0]).strip()
    if any(name.lower().startswith(s.lower()) for s in _SUBSTITUTE):
        return ""
    return name
