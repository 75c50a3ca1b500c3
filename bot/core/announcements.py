"""Notices (公告): scoped announcements to owners — the model, the sender's form, its checks.

Pure: the caller gives the settings, the clock's now and the catalog. The sender writes one
message, a line per field (``key: value``, keys in English or Chinese), the texts last:

    /notice
    estate: harbour_view            (may be left out when there is one estate)
    buildings: 3, 5                 (or: all)
    kind: planned                   (planned | emergency)
    start: 12-02 09:00
    end: 12-02 17:00                (optional)
    send: now                       (now, or a time)
    expires: 12-02 17:00            (optional: the end, else a day after the start)
    text: 3栋、5栋 12月2日 9:00–17:00 停水 …
    text.en: Water off in blocks 3 and 5 …

A text runs until the next ``text.<language>:`` line, so it may span lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.config import Settings
from bot.core.promise import stamp_words
from bot.texts import Catalog

KINDS = ("planned", "emergency")
TEXT_MAX = 3000  # with the heading and times it stays under Telegram's 4096
FORM_MAX = 12_000
DEFAULT_LIFETIME = timedelta(days=1)  # no end given: late joiners get it for a day
SEND_SLACK = timedelta(minutes=1)  # "send at 10:00" typed at 10:00:30 means now

_KEYS = {
    "estate": "estate",
    "小区": "estate",
    "屋苑": "estate",
    "buildings": "buildings",
    "building": "buildings",
    "楼栋": "buildings",
    "大廈": "buildings",
    "座": "buildings",
    "kind": "kind",
    "类型": "kind",
    "類型": "kind",
    "start": "start",
    "开始": "start",
    "開始": "start",
    "end": "end",
    "结束": "end",
    "結束": "end",
    "send": "send",
    "发送": "send",
    "發送": "send",
    "expires": "expires",
    "expiry": "expires",
    "截止": "expires",
    "到期": "expires",
    "text": "text",
    "内容": "text",
    "內容": "text",
}
_KIND_WORDS = {
    "planned": "planned",
    "计划": "planned",
    "計劃": "planned",
    "计划施工": "planned",
    "計劃工程": "planned",
    "emergency": "emergency",
    "urgent": "emergency",
    "紧急": "emergency",
    "緊急": "emergency",
}
_NOW_WORDS = frozenset({"now", "立即", "现在", "現在", "马上", "馬上"})
NOW_WORDS = _NOW_WORDS  # "send: now" in any of the languages
_ALL_WORDS = frozenset({"all", "全部", "所有"})
_LINE = re.compile(r"^\s*([^\s:：.]+)(?:\.([A-Za-z-]+))?\s*[:：]\s?(.*)$")
_SPLIT = re.compile(r"[,，、;；]+")
_FULL = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s+(\d{1,2})[:：](\d{2})$")
_SHORT = re.compile(r"^(\d{1,2})[-/.](\d{1,2})\s+(\d{1,2})[:：](\d{2})$")
_TIME = re.compile(
    r"^(?:(today|今天|今日|tomorrow|明天|明日)\s*)?(上午|早上|下午|晚上)?\s*"
    r"(\d{1,2})(?:[:：](\d{2})|\s*[点點](?:\s*(\d{1,2})\s*分?|(半))?)$"
)
_AFTERNOON = frozenset({"下午", "晚上"})
_TOMORROW = frozenset({"tomorrow", "明天", "明日"})


@dataclass(frozen=True)
class Notice:
    """One notice: who gets it (an estate, all or some buildings), what, and when."""

    id: int
    estate: str
    buildings: tuple[str, ...]  # empty: every building of the estate
    kind: str  # planned | emergency
    texts: Mapping[str, str]  # language → text; the default language's is always there
    starts_at: datetime
    ends_at: datetime | None
    send_at: datetime
    expires_at: datetime
    created_by: int
    created_at: datetime
    status: str = "draft"  # draft → scheduled → active; draft | scheduled → cancelled
    status_chat: int | None = None
    status_message: int | None = None

    @property
    def urgent(self) -> bool:
        """Emergency notices reach owners who turned notices off too."""
        return self.kind == "emergency"


@dataclass(frozen=True)
class NoticeCounts:
    """Where a notice's messages stand: queued in all, and how each ended (or not yet)."""

    queued: int = 0
    delivered: int = 0
    blocked: int = 0
    failed: int = 0

    @property
    def pending(self) -> int:
        """Messages not yet delivered nor given up on."""
        return self.queued - self.delivered - self.blocked - self.failed


@dataclass(frozen=True)
class FormError:
    """Why a form was refused: a catalog key under ``notice.err_`` and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_form(
    raw: str, settings: Settings, now: datetime, sender: int
) -> tuple[Notice | None, FormError | None]:
    """The notice a sender's form describes (a draft), or why it cannot be one."""
    if len(raw) > FORM_MAX:
        return None, FormError("too_long", {"count": len(raw), "limit": TEXT_MAX})
    head, _, rest = raw.lstrip().partition("\n")
    if head.split(maxsplit=1)[:1] and head.split(maxsplit=1)[0].startswith("/notice"):
        raw = (head.split(maxsplit=1)[1:] or [""])[0] + "\n" + rest  # the form as in /notice
    fields, texts, error = _fields(raw, settings)
    if error is not None:
        return None, error
    if not fields and not texts:
        return None, FormError("empty")
    return build(fields, texts, settings, now, sender)


def build(
    fields: Mapping[str, str],
    texts: Mapping[str, str],
    settings: Settings,
    now: datetime,
    sender: int,
) -> tuple[Notice | None, FormError | None]:
    """A draft from a form's fields and texts, with every check (the guided /notice
    conversation ends here too, so both refuse the same input with the same words)."""
    estate_id, error = _estate(fields.get("estate"), settings)
    if error is not None or estate_id is None:
        return None, error
    buildings, error = _buildings(fields.get("buildings"), estate_id, settings)
    if error is not None:
        return None, error
    kind = _KIND_WORDS.get((fields.get("kind") or "planned").strip().casefold())
    if kind is None:
        return None, FormError("kind", {"value": fields.get("kind", "")})
    times: dict[str, datetime | None] = {}
    for name in ("start", "end", "send", "expires"):
        value = (fields.get(name) or "").strip()
        if not value or (name == "send" and value.casefold() in _NOW_WORDS):
            times[name] = None
            continue
        moment = parse_time(value, settings, now)
        if moment is None:
            return None, FormError("time", {"field": name, "value": value[:40]})
        times[name] = moment
    start = times["start"]
    if start is None:
        if kind == "planned":
            return None, FormError("no_start")
        start = now
    end = times["end"]
    if end is not None and end <= start:
        return None, FormError("end_before_start")
    send = times["send"] or now
    if send < now - SEND_SLACK:
        return None, FormError("send_past")
    send = max(send, now)
    expires = times["expires"] or end or start + DEFAULT_LIFETIME
    if expires <= now:
        return None, FormError("expiry_past")
    if send >= expires:
        return None, FormError("send_after_expiry")
    default = settings.default_language
    if not texts.get(default, "").strip():
        return None, FormError("no_text", {"language": default})
    for text in texts.values():
        if len(text) > TEXT_MAX:
            return None, FormError("too_long", {"count": len(text), "limit": TEXT_MAX})
    notice = Notice(
        id=0,
        estate=estate_id,
        buildings=buildings,
        kind=kind,
        texts={lang: text.strip() for lang, text in texts.items() if text.strip()},
        starts_at=start,
        ends_at=end,
        send_at=send,
        expires_at=expires,
        created_by=sender,
        created_at=now,
    )
    return notice, None


def _fields(
    raw: str, settings: Settings
) -> tuple[dict[str, str], dict[str, str], FormError | None]:
    """The form's ``key: value`` fields and its texts by language."""
    fields: dict[str, str] = {}
    texts: dict[str, str] = {}
    current: str | None = None  # the language whose text the lines continue
    for line in raw.splitlines():
        found = _LINE.match(line)
        key = _KEYS.get(found.group(1).casefold()) if found else None
        if found is not None and key == "text":
            lang = found.group(2) or settings.default_language
            known = {code.casefold(): code for code in settings.languages}
            if lang.casefold() not in known:
                return fields, texts, FormError("language", {"value": lang[:20]})
            current = known[lang.casefold()]
            texts[current] = found.group(3)
            continue
        if current is not None:
            texts[current] += "\n" + line
            continue
        if not line.strip():
            continue
        if found is None or key is None or found.group(2):
            return fields, texts, FormError("line", {"line": line.strip()[:60]})
        fields[key] = found.group(3).strip()
    return fields, texts, None


def _estate(value: str | None, settings: Settings) -> tuple[str | None, FormError | None]:
    """The estate a form names (by id or name), or the only one there is."""
    if not value:
        if len(settings.estates) == 1:
            return settings.estates[0].id, None
        return None, FormError("no_estate")
    wanted = value.strip().casefold()
    for estate in settings.estates:
        names = {estate.id.casefold(), *(n.casefold() for n in estate.name.values())}
        if wanted in names:
            return estate.id, None
    return None, FormError("estate", {"value": value[:40]})


def _buildings(
    value: str | None, estate_id: str, settings: Settings
) -> tuple[tuple[str, ...], FormError | None]:
    """The buildings a form names; empty for every one; an empty list is refused."""
    pieces = [p.strip() for p in _SPLIT.split(value or "") if p.strip()]
    if not pieces:
        return (), FormError("no_scope")
    if len(pieces) == 1 and pieces[0].casefold() in _ALL_WORDS:
        return (), None
    estate = settings.estate(estate_id)
    assert estate is not None
    names = {name.casefold(): b.id for b in estate.buildings for name in (b.id, *b.name.values())}
    chosen: list[str] = []
    for piece in pieces:
        # "Block 3" is one name; "3 5" is two.
        words = [piece] if piece.casefold() in names else piece.split()
        for word in words:
            match = names.get(word.casefold())
            if match is None:
                return (), FormError("building", {"value": word[:40]})
            if match not in chosen:
                chosen.append(match)
    return tuple(chosen), None


def parse_time(value: str, settings: Settings, now: datetime) -> datetime | None:
    """A typed local time (``2026-12-02 09:00``, ``12-02 09:00``, ``09:00``, ``明天 9:00``,
    ``明天 9点``, ``下午3点半``)."""
    tz = settings.tz
    today = now.astimezone(tz).date()
    text = value.strip().casefold()
    try:
        if found := _FULL.match(text):
            y, m, d, hh, mm = (int(g) for g in found.groups())
            return datetime.combine(date(y, m, d), time(hh, mm), tz)
        if found := _SHORT.match(text):
            m, d, hh, mm = (int(g) for g in found.groups())
            return datetime.combine(date(today.year, m, d), time(hh, mm), tz)
        if found := _TIME.match(text):
            day = today + timedelta(days=1) if found.group(1) in _TOMORROW else today
            hour = int(found.group(3))
            if found.group(2) in _AFTERNOON and hour < 12:
                hour += 12  # 下午3点 is 15:00
            minute = 30 if found.group(6) else int(found.group(4) or found.group(5) or 0)
            return datetime.combine(day, time(hour, minute), tz)
    except ValueError:  # 02-30, 25:00
        return None
    return None


def in_scope(notice: Notice, estate: str, building: str) -> bool:
    """Whether a home (estate, building) is among the notice's addressees."""
    return estate == notice.estate and (not notice.buildings or building in notice.buildings)


def scope_words(notice: Notice, settings: Settings, catalog: Catalog, lang: str) -> str:
    """Where a notice goes, as people read it: "海景花园 3栋、5栋" or "海景花园（全部楼栋）"."""
    estate = settings.estate(notice.estate)
    name = settings.text(estate.name, lang) if estate else notice.estate
    if not notice.buildings:
        return catalog.text(lang, "notice.scope_all", estate=name)
    names = []
    for bid in notice.buildings:
        building = estate.building(bid) if estate else None
        names.append(settings.text(building.name, lang) if building else bid)
    return catalog.text(
        lang, "notice.scope_some", estate=name, buildings=catalog.text(lang, "list.sep").join(names)
    )


def owner_text(
    notice: Notice, settings: Settings, catalog: Catalog, lang: str, now: datetime
) -> str:
    """The notice as an owner reads it, in their language (else the default language's)."""
    tz = settings.tz
    body = notice.texts.get(lang) or notice.texts[settings.default_language]
    when = stamp_words(notice.starts_at, now, tz, catalog, lang)
    if notice.ends_at is not None:
        until = stamp_words(notice.ends_at, now, tz, catalog, lang)
        when = catalog.text(lang, "notice.span", start=when, end=until)
    lines = [
        catalog.text(
            lang, f"notice.head_{notice.kind}", scope=scope_words(notice, settings, catalog, lang)
        ),
        catalog.text(lang, "notice.when", when=when),
        "",
        body,
    ]
    if not notice.urgent:
        lines += ["", catalog.text(lang, "notice.footer_off")]
    return "\n".join(lines)


def preview_text(
    notice: Notice,
    settings: Settings,
    catalog: Catalog,
    lang: str,
    now: datetime,
    owners: int,
) -> str:
    """What the sender checks before [Send]: scope, kind, times, reach and the texts."""
    tz = settings.tz

    def at(moment: datetime) -> str:
        return stamp_words(moment, now, tz, catalog, lang)

    send = (
        catalog.text(lang, "notice.send_now")
        if notice.send_at <= now + SEND_SLACK
        else at(notice.send_at)
    )
    lines = [
        catalog.text(lang, "notice.preview_head"),
        catalog.text(
            lang, "notice.field_scope", value=scope_words(notice, settings, catalog, lang)
        ),
        catalog.text(
            lang, "notice.field_kind", value=catalog.text(lang, f"notice.kind_{notice.kind}")
        ),
        catalog.text(lang, "notice.field_start", value=at(notice.starts_at)),
    ]
    if notice.ends_at is not None:
        lines.append(catalog.text(lang, "notice.field_end", value=at(notice.ends_at)))
    lines += [
        catalog.text(lang, "notice.field_send", value=send),
        catalog.text(lang, "notice.field_expires", value=at(notice.expires_at)),
        catalog.text(lang, "notice.field_reach", count=owners),
        "",
        owner_text(notice, settings, catalog, settings.default_language, now),
    ]
    others = [code for code in notice.texts if code != settings.default_language]
    if others:
        lines += ["", catalog.text(lang, "notice.also_in", languages=", ".join(others))]
    return "\n".join(lines)


def status_text(
    notice: Notice,
    counts: NoticeCounts,
    settings: Settings,
    catalog: Catalog,
    lang: str,
    now: datetime,
) -> str:
    """The sender's status message: where the notice stands, with its counts."""
    scope = scope_words(notice, settings, catalog, lang)
    if notice.status in ("cancelled", "expired"):
        return catalog.text(lang, f"notice.status_{notice.status}", scope=scope)
    if notice.status in ("draft", "scheduled"):
        when = stamp_words(notice.send_at, now, settings.tz, catalog, lang)
        return catalog.text(lang, "notice.status_scheduled", scope=scope, when=when)
    key = "notice.status_sending" if counts.pending else "notice.status_done"
    return catalog.text(
        lang,
        key,
        scope=scope,
        queued=counts.queued,
        delivered=counts.delivered,
        blocked=counts.blocked,
        failed=counts.failed,
        pending=counts.pending,
    )
