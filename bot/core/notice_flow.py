"""The guided ``/notice`` conversation (flows/notice.yaml), its pure parts: where its choices
come from, the check of each answer as it is given, and the finished answers as the fields
of the one-message form, so ``announcements.build`` judges both paths with the same words.

Times are kept as local ``YYYY-MM-DD HH:MM`` once given (a quick button, a preset or typed):
a conversation resumed after a restart, or the next day, still means the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.core.announcements import (
    DEFAULT_LIFETIME,
    NOW_WORDS,
    SEND_SLACK,
    TEXT_MAX,
    FormError,
    parse_time,
)
from bot.core.flow import Step
from bot.core.flowdata import Option

if TYPE_CHECKING:
    from bot.core.sources import ConfigContext

SENDER = "sender"  # the prefilled answer naming who is writing the notice
ALL, NONE, NOW, DEFAULT = "all", "none", "now", "default"
TIMES = ("start", "end", "send", "expires")
TEXTS = ("text", "text_extra")
STAMP = "%Y-%m-%d %H:%M"
QUICK_HOURS = (8, 9, 14)  # the start buttons: today's still ahead, then tomorrow's
PRESETS = {"h2": 2, "h4": 4, "h8": 8}  # the end buttons: hours after the start
# Where the conversation asks again when the final check refuses (by FormError code).
STEP_OF = {
    "estate": "estate",
    "no_estate": "estate",
    "no_scope": "buildings",
    "building": "buildings",
    "no_start": "start",
    "end_before_start": "end",
    "send_past": "send",
    "expiry_past": "expires",
    "send_after_expiry": "expires",
    "no_text": "text",
    "too_long": "text",
}


def stamp(moment: datetime, settings: Settings) -> str:
    """A moment as the conversation keeps it: local time to the minute."""
    return moment.astimezone(settings.tz).strftime(STAMP)


def estates(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """The estates of the sender's patch (every one for an admin)."""
    member = ctx.settings.staff_member(_int(answers.get(SENDER)))
    if member is None:
        return []
    return [
        Option(e.id, ctx.local(e.name))
        for e in ctx.settings.estates
        if member.role == "admin" or member.works_in(e.id)
    ]


def buildings(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """The "all buildings" choice, then each building of the chosen estate."""
    estate = ctx.settings.estate(str(answers.get("estate")))
    if estate is None:
        return []
    return [
        Option(ALL, ctx.text("notice.flow_all")),
        *(Option(b.id, ctx.local(b.name)) for b in estate.buildings),
    ]


def starts(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """Now, today's common start times still ahead, and tomorrow's."""
    options = [Option(NOW, ctx.text("notice.flow_now"))]
    if ctx.now is None:
        return options
    local = ctx.now.astimezone(ctx.settings.tz)
    for offset, day in ((0, "notice.flow_today"), (1, "notice.flow_tomorrow")):
        date = local.date() + timedelta(days=offset)
        for hour in QUICK_HOURS:
            moment = datetime(date.year, date.month, date.day, hour, tzinfo=ctx.settings.tz)
            if moment > local:
                label = ctx.text("notice.flow_at", day=ctx.text(day), time=f"{hour:02d}:00")
                options.append(Option(stamp(moment, ctx.settings), label))
    return options


def languages(ctx: ConfigContext, answers: Mapping[str, Any]) -> list[Option]:
    """The languages besides the default one, and "no other language"."""
    default = ctx.settings.default_language
    others = [code for code in ctx.settings.languages if code != default]
    return [
        *(Option(code, ctx.text(f"notice.flow_lang.{code}")) for code in others),
        Option(NONE, ctx.text("notice.flow_no_other")),
    ]


def accept(
    step: Step, answers: Mapping[str, Any], value: Any, settings: Settings, now: datetime
) -> tuple[Any, FormError | None]:
    """One answer as kept (a time made absolute), or why the step must be asked again."""
    if step.field in TEXTS:
        text = str(value)
        if len(text) > TEXT_MAX:
            return value, FormError("too_long", {"count": len(text), "limit": TEXT_MAX})
        return value, None
    if step.field not in TIMES or value == "":
        return value, None  # an optional end skipped
    if step.field in ("start", "send") and str(value).strip().casefold() in NOW_WORDS:
        value = NOW  # typed "现在" as well as the button
    if step.field == "send" and value == NOW:
        return NOW, None  # "now" is when [Send] is tapped, however long the rest takes
    moment = _moment(step.field, str(value), answers, settings, now)
    if moment is None:
        return value, FormError("time", {"field": step.field, "value": str(value)[:40]})
    start = _read(answers.get("start"), settings, now) or now
    if step.field == "end":
        if moment <= start:
            return value, FormError("end_before_start")
        if moment <= now:
            return value, FormError("end_past")
    if step.field == "send" and moment < now - SEND_SLACK:
        return value, FormError("send_past")
    if step.field == "expires":
        if moment <= now:
            return value, FormError("expiry_past")
        send = _read(answers.get("send"), settings, now) or now
        if send >= moment:
            return value, FormError("send_after_expiry")
    return stamp(moment, settings), None


def _moment(
    name: str, value: str, answers: Mapping[str, Any], settings: Settings, now: datetime
) -> datetime | None:
    """The moment a time step's answer stands for: a button's or a typed one."""
    if name == "start" and value == NOW:
        return now
    start = _read(answers.get("start"), settings, now)
    if name == "end" and value in PRESETS and start is not None:
        return start + timedelta(hours=PRESETS[value])
    if name == "expires" and value == DEFAULT:
        end = _read(answers.get("end"), settings, now)
        return end or (start or now) + DEFAULT_LIFETIME
    return parse_time(value, settings, now)


def _read(value: Any, settings: Settings, now: datetime) -> datetime | None:
    """A kept time back as a moment (None when not given)."""
    if not value or value == NOW:
        return None
    return parse_time(str(value), settings, now)


def form_fields(
    answers: Mapping[str, Any], settings: Settings
) -> tuple[dict[str, str], dict[str, str]]:
    """The finished answers as the one-message form's fields and texts."""
    picked = [str(p) for p in answers.get("buildings") or []]
    scope = ALL if ALL in picked else ", ".join(picked)
    fields = {
        "estate": str(answers.get("estate") or ""),
        "buildings": scope,
        "kind": str(answers.get("kind") or ""),
        **{name: str(answers.get(name) or "") for name in TIMES},
    }
    texts = {settings.default_language: str(answers.get("text") or "")}
    extra = str(answers.get("extra_lang") or NONE)
    if extra != NONE and str(answers.get("text_extra") or "").strip():
        texts[extra] = str(answers["text_extra"])
    return fields, texts


def _int(value: Any) -> int:
    """A prefilled id (0 when missing or not a number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
