"""Mainland China's public holidays and make-up working days (调休), read from python-holidays.

This is the only module that touches python-holidays, so its quirks stay in one place:
- ``date in holidays.CN()`` knows the days off but not the make-up working days; those live in
  the separate ``weekend_workdays`` set that only the library's working-day helpers consult.
- For a year with no official State Council notice in its data, the library silently estimates
  the statutory days (and their ``observed`` substitutes) with no make-up days at all. The years
  it has official data for are the keys of the China class's ``special_public_holidays`` table,
  which is where each year's substitutions are recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from holidays import HolidayBase, country_holidays


@dataclass(frozen=True)
class CnDays:
    """Days off, make-up working days, and the years whose dates are only estimates."""

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    estimated_years: tuple[int, ...]


def _official_years(cal: HolidayBase) -> frozenset[int]:
    """Years for which the library carries the State Council's published schedule."""
    # Not part of HolidayBase's typed surface, hence getattr; an absent table means no year is
    # official, which errs towards warning rather than trusting estimates.
    table = getattr(cal, "special_public_holidays", None)
    if not isinstance(table, Mapping):
        return frozenset()
    return frozenset(y for y in table if isinstance(y, int))


def cn_days(years: Iterable[int]) -> CnDays:
    """Public holidays and make-up working days of mainland China for the given years."""
    wanted = sorted(set(years))
    if not wanted:
        return CnDays(frozenset(), frozenset(), ())
    cal = country_holidays("CN", years=wanted)
    year_set = set(wanted)
    days_off = frozenset(d for d in cal if d.year in year_set)
    # weekend_workdays can also hold cross-year entries from other years' notices; keep only the
    # asked-for years so the result does not depend on which years the library has loaded.
    makeup = frozenset(d for d in cal.weekend_workdays if d.year in year_set)
    official = _official_years(cal)
    estimated = tuple(y for y in wanted if y not in official)
    return CnDays(holidays=days_off, makeup_workdays=makeup, estimated_years=estimated)
