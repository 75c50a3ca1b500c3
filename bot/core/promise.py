"""Promises a person can check: due moments in everyday words, time left, and why it is far.

"今天 10:05 前", "明天（周五）10:20 前", "12月8日（周四）10:10 前", "剩 5 分钟", and for a
deadline that waits over days off: "国庆节假期（10月1日–7日）只处理紧急报修".

Pure: the caller passes ``now``, the due moment, the zone or calendar and the language; the
words come from the language catalogs (keys ``when.*``, ``date.*``, ``weekday.*``, ``month.*``,
``left.*``, ``promise.closed_*``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.deadlines import BusinessCalendar
from bot.texts import Catalog

_DAY = timedelta(days=1)


def day_words(day: date, today: date, catalog: Catalog, lang: str) -> str:
    """A local date as a person says it: 今天, 明天（周五）, 12月8日（周四）."""
    weekday = catalog.text(lang, f"weekday.{day.weekday()}")
    if day == today:
        return catalog.text(lang, "when.today_day")
    if day == today + _DAY:
        return catalog.text(lang, "when.tomorrow_day", weekday=weekday)
    if day == today - _DAY:
        return catalog.text(lang, "when.yesterday_day", weekday=weekday)
    return catalog.text(
        lang, "when.date_day", date=date_words(day, today, catalog, lang), weekday=weekday
    )


def date_words(day: date, today: date, catalog: Catalog, lang: str) -> str:
    """A date without its weekday: 12月8日, 8 Dec; the year only when it is not this year's."""
    month = catalog.text(lang, f"month.{day.month}")
    if day.year != today.year:
        return catalog.text(lang, "date.day_year", year=day.year, month=month, day=day.day)
    return catalog.text(lang, "date.day", month=month, day=day.day)


def due_words(now: datetime, due: datetime, tz: ZoneInfo, catalog: Catalog, lang: str) -> str:
    """A due moment: 今天 10:05 前, 明天（周五）10:20 前, 12月8日（周四）10:10 前."""
    local = due.astimezone(tz)
    today = now.astimezone(tz).date()
    day = local.date()
    clock = f"{local:%H:%M}"
    weekday = catalog.text(lang, f"weekday.{day.weekday()}")
    if day == today:
        return catalog.text(lang, "when.today", time=clock)
    if day == today + _DAY:
        return catalog.text(lang, "when.tomorrow", time=clock, weekday=weekday)
    return catalog.text(
        lang,
        "when.date",
        date=date_words(day, today, catalog, lang),
        weekday=weekday,
        time=clock,
    )


def stamp_words(
    moment: datetime, now: datetime | None, tz: ZoneInfo, catalog: Catalog, lang: str
) -> str:
    """A past or future moment with its time: 今天 09:40, 12月8日（周四）10:10."""
    local = moment.astimezone(tz)
    today = (now or moment).astimezone(tz).date()
    return catalog.text(
        lang, "when.stamp", day=day_words(local.date(), today, catalog, lang), time=f"{local:%H:%M}"
    )


def span_words(delta: timedelta, catalog: Catalog, lang: str) -> str:
    """A duration in at most two units: 5 分钟, 1 小时 20 分钟, 2 天 3 小时."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days and hours:
        return catalog.text(lang, "time.days_hours", d=days, h=hours)
    if days:
        return catalog.text(lang, "time.days", n=days)
    if hours and mins:
        return catalog.text(lang, "time.hours_minutes", h=hours, m=mins)
    if hours:
        return catalog.text(lang, "time.hours", n=hours)
    return catalog.text(lang, "time.minutes", n=mins)


def left_words(now: datetime, due: datetime, catalog: Catalog, lang: str) -> str:
    """Time left until a deadline (剩 5 分钟), or how late it is (已超时 3 分钟)."""
    if due >= now:
        return catalog.text(lang, "left.remaining", span=span_words(due - now, catalog, lang))
    return catalog.text(lang, "left.overdue", span=span_words(now - due, catalog, lang))


@dataclass(frozen=True)
class Closure:
    """Consecutive days off that a deadline waits over, and the holiday they belong to."""

    first: date
    last: date
    holiday: date | None  # a day of the run that has a holiday name; None for a plain weekend


def closure(now: datetime, due: datetime, cal: BusinessCalendar) -> Closure | None:
    """The longest run of days off between now's date and the due date, if there is one."""
    today = now.astimezone(cal.tz).date()
    end = due.astimezone(cal.tz).date()
    runs: list[list[date]] = []
    day = today
    while day < end:
        if cal.is_working_day(day):
            if runs and runs[-1]:
                runs.append([])
        else:
            if not runs:
                runs.append([])
            runs[-1].append(day)
        day += _DAY
    found = [r for r in runs if r]
    if not found:
        return None

    def weight(run: list[date]) -> tuple[int, int]:
        named = sum(1 for d in run if d in cal.holidays)
        return (1 if named else 0, len(run))

    best = max(found, key=weight)
    # The run reaches back and forth over days off outside [today, end): a holiday that began
    # yesterday still began then.
    first, last = best[0], best[-1]
    while not cal.is_working_day(first - _DAY) and (best[0] - first).days < 31:
        first -= _DAY
    while not cal.is_working_day(last + _DAY) and (last - best[-1]).days < 31:
        last += _DAY
    holiday = next((d for d in best if d in cal.holidays), None)
    return Closure(first, last, holiday)


def holiday_name(run: Closure, cal: BusinessCalendar, lang: str) -> str:
    """The name most days of the run carry (国庆节), "" when the run has none."""
    names: Counter[str] = Counter()
    day = run.first
    while day <= run.last:
        name = (cal.holiday_names.get(day) or {}).get(lang, "")
        if name:
            names[name] += 1
        day += _DAY
    return names.most_common(1)[0][0] if names else ""


def range_words(first: date, last: date, today: date, catalog: Catalog, lang: str) -> str:
    """A span of dates: 10月1日–7日, 9月30日–10月2日, 10月1日."""
    if first == last:
        return date_words(first, today, catalog, lang)
    if (first.year, first.month) == (last.year, last.month) and first.year == today.year:
        month = catalog.text(lang, f"month.{first.month}")
        return catalog.text(lang, "date.range_month", month=month, start=first.day, end=last.day)
    return catalog.text(
        lang,
        "date.range",
        start=date_words(first, today, catalog, lang),
        end=date_words(last, today, catalog, lang),
    )


def closure_words(
    now: datetime, due: datetime, cal: BusinessCalendar, catalog: Catalog, lang: str
) -> str | None:
    """Why a business-clock deadline is far: 国庆节假期（10月1日–7日）只处理紧急报修 (or None)."""
    run = closure(now, due, cal)
    if run is None:
        return None
    today = now.astimezone(cal.tz).date()
    dates = range_words(run.first, run.last, today, catalog, lang)
    name = holiday_name(run, cal, lang) if run.holiday else ""
    if name:
        return catalog.text(lang, "promise.closed_holiday", name=name, dates=dates)
    if all(d.weekday() >= 5 for d in _days(run.first, run.last)):
        return catalog.text(lang, "promise.closed_weekend", dates=dates)
    return catalog.text(lang, "promise.closed_days", dates=dates)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
