"""Generate a large, realistic EstateDesk database for the scale benchmark.

The schema is the bot's own (``Store.open`` migrates a fresh file); the rows are bulk-inserted
with sqlite3 ``executemany`` in one transaction, indexes dropped during the load and rebuilt
after. Tickets span three years, ids in creation order; owners file about 20 tickets each on
average (a few much more); categories, estates, urgencies and languages follow rough real-life
weights; about 5 % of tickets are still open. Every ticket has a consistent timeline (created,
assigned, accepted, resolved, closed …), and each open ticket's timeline already records the
nudges and escalations whose time has passed — what the running bot would have written — so the
bot under test starts without a burst of catch-up escalations.

    python -m bench.gen_db --tickets 1000000 --out /tmp/estatedesk-1m.sqlite3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.core.calendars import Calendars
from bot.core.duetimes import deadlines_from, plan
from bot.core.models import Status, Ticket, TicketEvent
from bot.store import Store

SPAN = timedelta(days=3 * 365)
CATEGORY_WEIGHTS = {
    "water_power": 18,
    "home_repair": 15,
    "facilities": 10,
    "cleaning": 12,
    "lift": 8,
    "parking": 7,
    "noise": 6,
    "greenery": 5,
    "security": 5,
    "fees": 5,
    "attitude": 3,
    "neighbours": 3,
    "enquiry": 2,
    "suggestion": 0.7,
    "praise": 0.3,
}
URGENCY_WEIGHTS = {"emergency": 5, "urgent": 25, "routine": 70}
LANGUAGES = (("zh-Hans", 0.8), ("zh-Hant", 0.1), ("en", 0.1))
CLOSED_STATUSES = ((Status.CLOSED, 0.78), (Status.RESOLVED, 0.12), (Status.CANCELLED, 0.10))
OPEN_STATUSES = ((Status.ASSIGNED, 0.40), (Status.ACCEPTED, 0.58), (Status.NEW, 0.02))
DESCRIPTIONS = (
    "厨房水龙头一直滴水",
    "卫生间天花板渗水，已经有水渍",
    "楼道灯不亮好几天了",
    "电梯运行时有异响",
    "单元门禁刷卡没反应",
    "垃圾站附近有异味",
    "车位被别人占用",
    "楼上晚上装修噪音很大",
    "物业费账单金额不对",
    "花园的树枝挡住路灯",
    "Balcony door will not lock",
    "No hot water since this morning",
    "窗户关不严，漏风",
    "下水道堵了，水排不下去",
)
FIRST_NAMES = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "Mei", "Ka Ho", "John")
HORIZON = timedelta(hours=1)  # dues up to this far ahead count as done: the bench starts soon


@dataclass
class GenInfo:
    """What was generated, and whom the benchmark should ask about it."""

    path: str
    tickets: int
    events: int
    users: int
    open_tickets: int
    seconds: float
    size_bytes: int
    owner_id: int  # an owner with about 20 tickets (for /my)
    owner_tickets: int
    staff_id: int  # the staff member with the most open tickets (for /queue)
    staff_open: int
    surveys: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def _ts(moment: datetime) -> str:
    """The store's timestamp format (UTC ISO, microseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _weighted(rng: random.Random, pairs: Any) -> Any:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def migrate(path: Path) -> None:
    """Create the file with the bot's schema."""
    _remove(path)
    store = await Store.open(path)
    await store.close()


async def generate(
    path: Path,
    tickets: int,
    settings: Settings,
    *,
    seed: int = 8,
    open_share: float = 0.05,
    now: datetime | None = None,
) -> GenInfo:
    """Create ``path`` with ``tickets`` tickets (and their owners and timelines)."""
    started = time.monotonic()
    await migrate(path)
    info = await asyncio.to_thread(
        _fill, path, tickets, settings, random.Random(seed), open_share, now or datetime.now(UTC)
    )
    info.seconds = round(time.monotonic() - started, 2)
    return info


class _Model:
    """The config, pre-digested for fast sampling."""

    def __init__(self, settings: Settings, now: datetime) -> None:
        self.settings = settings
        self.categories = [(c, CATEGORY_WEIGHTS.get(c.id, 3.0)) for c in settings.categories]
        self.urgencies = {
            c.id: [(u.id, URGENCY_WEIGHTS.get(u.id, 10.0)) for u in settings.urgencies_for(c.id)]
            for c in settings.categories
        }
        self.estates = [
            (e, 0.6 if i == 0 else 0.4 / max(1, len(settings.estates) - 1))
            for i, e in enumerate(settings.estates)
        ]
        self.windows = {
            (c.id, u.id): settings.deadlines(c.id, u.id)
            for c in settings.categories
            for u in settings.urgencies
        }
        self.assignees: dict[tuple[str, str], list[int]] = {}
        for dept in settings.departments:
            for estate in settings.estates:
                people = [
                    s.telegram_id
                    for s in settings.staff
                    if dept.id in s.departments and s.works_in(estate.id)
                ]
                self.assignees[(dept.id, estate.id)] = people or (
                    [dept.fallback] if dept.fallback is not None else []
                )
        self.calendars = Calendars(settings, range(now.year - 3, now.year + 2))


def _fill(
    path: Path,
    count: int,
    settings: Settings,
    rng: random.Random,
    open_share: float,
    now: datetime,
) -> GenInfo:
    model = _Model(settings, now)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -400000")
    db.execute("PRAGMA temp_store = MEMORY")
    db.execute("PRAGMA foreign_keys = OFF")
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('tickets', 'ticket_events', 'users', 'counters', 'surveys')"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    columns = [r[1] for r in db.execute("PRAGMA table_info(tickets)")]
    survey_columns = [
        r[1] for r in db.execute("PRAGMA table_info(surveys)") if r[1] != "id"
    ]  # none when the schema has no surveys (yet)
    insert_survey = (
        f"INSERT INTO surveys ({', '.join(survey_columns)})"
        f" VALUES ({', '.join('?' * len(survey_columns))})"
    )
    surveys: list[tuple[Any, ...]] = []
    survey_total = 0

    owners = max(1, count // 20)
    owner_ids = [200_000_000 + 37 * i for i in range(owners)]
    frequent = owner_ids[: max(1, owners // 20)]
    start = now - SPAN
    seconds = SPAN.total_seconds()
    moments = sorted(rng.random() for _ in range(count))
    # Recent tickets are mostly still open; the rest of the open share is an old backlog.
    recent_cut = 1 - timedelta(days=2) / SPAN
    recent = sum(1 for m in moments if m >= recent_cut)
    backlog_p = max(0.0, (open_share * count - 0.85 * recent) / max(1, count - recent))

    per_day: Counter[str] = Counter()
    owner_count: Counter[int] = Counter()
    staff_open: Counter[int] = Counter()
    events: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    open_total = 0
    event_total = 0
    limit = now - timedelta(minutes=1)
    db.execute("BEGIN")
    insert_ticket = (
        f"INSERT INTO tickets ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    insert_event = (
        "INSERT INTO ticket_events (ticket_id, at, kind, actor_id, data) VALUES (?, ?, ?, ?, ?)"
    )

    def flush() -> None:
        """Write the rows gathered so far (in batches: a million tickets do not fit in memory)."""
        nonlocal event_total, survey_total
        db.executemany(insert_ticket, rows)
        db.executemany(insert_event, events)
        event_total += len(events)
        if surveys:
            db.executemany(insert_survey, surveys)
            survey_total += len(surveys)
        rows.clear()
        events.clear()
        surveys.clear()

    for ticket_id, moment in enumerate(moments, start=1):
        created = start + timedelta(seconds=moment * seconds)
        owner = rng.choice(frequent) if rng.random() < 0.2 else rng.choice(owner_ids)
        owner_count[owner] += 1
        category = _weighted(rng, model.categories)
        sub = rng.choice(category.subcategories).id if category.subcategories else None
        estate = _weighted(rng, model.estates)
        if rng.random() < 0.65 or not estate.areas:
            building = rng.choice(estate.buildings).id if estate.buildings else None
            unit = f"{building}-{rng.randint(1, 32)}{rng.randint(1, 4):02d}"
            area = None
        else:
            place = rng.choice(estate.areas)
            building, unit, area = place.building or "_estate", None, place.id
        urgency = _weighted(rng, model.urgencies[category.id])
        is_open = rng.random() < (0.85 if moment >= recent_cut else backlog_p)
        status = _weighted(rng, OPEN_STATUSES if is_open else CLOSED_STATUSES)
        people: list[int | None] = [*model.assignees.get((category.department, estate.id), [])]
        people = people or [None]
        assignee = None if status is Status.NEW else rng.choice(people)
        if status is Status.CANCELLED and rng.random() < 0.5:
            assignee = None
        if is_open:
            cal = model.calendars.of(category.department)
            accept_due, resolve_due = deadlines_from(settings, cal, category.id, urgency, created)
        else:
            accept_in, resolve_in = model.windows[(category.id, urgency)]
            accept_due, resolve_due = created + accept_in * 2, created + resolve_in * 2
        day = created.astimezone(settings.tz).strftime("%Y%m%d")
        per_day[day] += 1
        lang = _weighted(rng, LANGUAGES)
        photos = (
            "[]"
            if rng.random() < 0.7
            else json.dumps([f"AgAC{ticket_id:x}{i}" for i in range(rng.randint(1, 3))])
        )

        timeline: list[TicketEvent] = [
            TicketEvent(ticket_id, created, "created", owner, {"urgency": urgency})
        ]
        at = created + timedelta(seconds=1)
        if assignee is not None:
            timeline.append(
                TicketEvent(ticket_id, at, "assigned", None, {"to": assignee, "reason": "on_duty"})
            )
        accepted_at = min(created + (accept_due - created) * rng.random() * 0.9, limit)
        if status in (Status.ACCEPTED, Status.RESOLVED, Status.CLOSED) and assignee is not None:
            at = max(at, accepted_at)
            timeline.append(
                TicketEvent(
                    ticket_id, at, "accepted", assignee, {"previous": None, "via_group": False}
                )
            )
        note = None
        resolved_at = confirmed_at = None
        if status in (Status.RESOLVED, Status.CLOSED):
            at = resolved_at = min(at + timedelta(hours=rng.uniform(0.5, 30)), limit)
            note = "已处理完毕 / fixed"
            timeline.append(
                TicketEvent(ticket_id, at, "resolved", assignee, {"note": note, "photo": None})
            )
        if status is Status.CLOSED:
            at = confirmed_at = min(at + timedelta(hours=rng.uniform(1, 48)), limit)
            timeline.append(TicketEvent(ticket_id, at, "confirmed", owner, {}))
        elif status is Status.CANCELLED:
            at = min(at + timedelta(minutes=rng.uniform(1, 600)), limit)
            timeline.append(TicketEvent(ticket_id, at, "cancelled", owner, {}))
        if survey_columns and resolved_at is not None and assignee is not None:
            survey = _survey(rng, settings, resolved_at, confirmed_at, now)
            survey.update({"ticket_id": ticket_id, "round": 1, "staff_id": assignee})
            surveys.append(tuple(survey.get(c) for c in survey_columns))
        overdue = False
        if is_open:
            open_total += 1
            ticket = Ticket(
                owner_id=owner,
                kind=category.kind,
                category=category.id,
                subcategory=sub,
                department=category.department,
                estate=estate.id,
                building=building,
                unit=unit,
                area=area,
                location_detail=None,
                urgency=urgency,
                description="",
                photos=(),
                language=lang,
                created_at=created,
                accept_due=accept_due,
                resolve_due=resolve_due,
                id=ticket_id,
                status=status,
                assignee_id=assignee,
            )
            overdue = _catch_up(
                settings, model.calendars.of(category.department), ticket, timeline, now + HORIZON
            )
            if assignee is not None:
                staff_open[assignee] += 1
        last = max(e.at for e in timeline)
        values = {
            "id": ticket_id,
            "number": f"{settings.ticket_prefix}-{day}-{per_day[day]:04d}",
            "owner_id": owner,
            "kind": category.kind,
            "category": category.id,
            "subcategory": sub,
            "department": category.department,
            "estate": estate.id,
            "building": building,
            "unit": unit,
            "area": area,
            "location_detail": None,
            "urgency": urgency,
            "description": rng.choice(DESCRIPTIONS),
            "photos": photos,
            "language": lang,
            "status": status.value,
            "assignee_id": assignee,
            "created_at": _ts(created),
            "updated_at": _ts(last),
            "accept_due": _ts(accept_due),
            "resolve_due": _ts(resolve_due),
            "version": len(timeline) - 1,
            "overdue": int(overdue),
            "resolution_note": note,
            "resolution_photo": None,
            # The dashboard's "in progress" (what add_event keeps in the running bot).
            "work_started": int(status is Status.ACCEPTED and _started(timeline)),
        }
        rows.append(tuple(values.get(c) for c in columns))
        for event in timeline:
            events.append(
                (
                    ticket_id,
                    _ts(event.at),
                    event.kind,
                    event.actor_id,
                    json.dumps(event.data, ensure_ascii=False),
                )
            )
        if len(rows) >= 20_000:
            flush()
    flush()
    stamp = _ts(start)
    db.executemany(
        "INSERT INTO users (telegram_id, first_name, language_code, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            (
                o,
                rng.choice(FIRST_NAMES),
                _weighted(rng, (("zh-hans", 0.8), ("zh-hant", 0.1), ("en", 0.1))),
                stamp,
                stamp,
            )
            for o in owner_ids
        ),
    )
    db.executemany(
        "INSERT INTO counters (name, value) VALUES (?, ?)",
        ((f"ticket:{day}", n) for day, n in per_day.items()),
    )
    db.execute("COMMIT")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    size = path.stat().st_size

    owner_id, owner_n = min(owner_count.items(), key=lambda kv: (abs(kv[1] - 20), kv[0]))
    staff_id, staff_n = (
        staff_open.most_common(1)[0] if staff_open else (settings.staff[0].telegram_id, 0)
    )
    return GenInfo(
        str(path),
        count,
        event_total,
        len(owner_ids),
        open_total,
        0.0,
        size,
        owner_id,
        owner_n,
        staff_id,
        staff_n,
        survey_total,
    )


RATINGS = ((5, 0.5), (4, 0.25), (3, 0.12), (2, 0.08), (1, 0.05))


def _survey(
    rng: random.Random,
    settings: Settings,
    resolved: datetime,
    confirmed: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The return visit of a resolved ticket, at the stage it would have reached by now.

    Owners who press "Fixed" are asked at once; the others a ``delay`` after resolution.
    Nothing is left due before ``now + HORIZON`` (no catch-up burst when the bot starts).
    """
    cfg = settings.surveys
    soon = now + HORIZON
    asked = confirmed if confirmed is not None else resolved + cfg.delay
    if asked > now:
        return {"status": "scheduled", "due_at": _ts(max(asked, soon + HORIZON))}
    row: dict[str, Any] = {"due_at": _ts(asked), "sent_at": _ts(asked)}
    if asked + cfg.remind_after > soon:
        return {**row, "status": "sent"}
    if asked + cfg.close_after > soon:
        return {**row, "status": "sent", "reminded_at": _ts(asked + cfg.remind_after)}
    if rng.random() < 0.3:
        return {**row, "status": "expired", "reminded_at": _ts(asked + cfg.remind_after)}
    answered = asked + timedelta(hours=rng.uniform(0.05, 20))
    rating = _weighted(rng, RATINGS)
    row.update(
        {
            "status": "answered",
            "answered_at": _ts(answered),
            "rating": rating,
            "problems": "[]" if rating >= 4 else json.dumps(["speed"]),
        }
    )
    if rating <= 2:
        due = answered + timedelta(hours=24)
        row.update({"followup_status": "open" if due > soon else "done", "followup_due": _ts(due)})
    return row


_DONE_EVENT = {
    "accept_nudge": ("nudged", "accept"),
    "accept_due": ("escalated", "accept"),
    "resolve_nudge": ("nudged", "resolve"),
    "resolve_due": ("escalated", "resolve"),
    "manager": ("manager_alerted", "resolve"),
}


def _started(timeline: list[TicketEvent]) -> bool:
    """Whether the last of the accepted/started events is a started one."""
    kinds = [e.kind for e in timeline if e.kind in ("accepted", "started")]
    return bool(kinds) and kinds[-1] == "started"


def _catch_up(
    settings: Settings, cal: Any, ticket: Ticket, timeline: list[TicketEvent], horizon: datetime
) -> bool:
    """Record what the bot would have done for this open ticket by now; True if overdue."""
    overdue = False
    for _ in range(6):
        past = [d for d in plan(settings, cal, ticket, timeline) if d.at <= horizon]
        if not past:
            break
        for due in past:
            kind, stage = _DONE_EVENT[due.kind]
            data: dict[str, Any] = {"stage": stage, "due": due.deadline.isoformat()}
            if kind == "escalated":
                data.update({"from": ticket.assignee_id, "to": ticket.assignee_id})
                overdue = overdue or stage == "resolve"
            timeline.append(TicketEvent(ticket.id, due.at, kind, None, data))
    timeline.sort(key=lambda e: e.at)
    return overdue


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.gen_db --tickets N --out PATH``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.gen_db", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--open-share", type=float, default=0.05)
    args = parser.parse_args(argv)
    settings = load_settings(args.config, env={"TELEGRAM_BOT_TOKEN": "x"})
    info = asyncio.run(
        generate(args.out, args.tickets, settings, seed=args.seed, open_share=args.open_share)
    )
    for f in fields(info):
        print(f"{f.name}: {getattr(info, f.name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
