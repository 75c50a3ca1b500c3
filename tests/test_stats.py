"""Report statistics on a hand-built day whose answers are worked out here, by hand.

The scenario (local time, Asia/Shanghai; the period is the day 2026-11-10):

    T1 09:00 opened, accepted 09:10 by A, resolved 11:00 by A     dues 09:30 / 13:00  met, met
    T2 10:00 opened, accepted 10:40 by B, resolved 15:00 by B     dues 10:30 / 14:00  late, late
    T3 11:00 opened, accepted 11:02 by A, resolved 12:00 by A     dues 11:05 / 15:00  met, met
    T4 12:00 opened, accept escalated 12:30 (from B), accepted 12:50 by A; new accept due 13:00
    T5 13:00 opened, never accepted (assignee B), accept due 13:30 passed        missed
    T6 opened the day before 20:00, resolved 08:00 by C, resolve due 20:00      met
    T7 14:00 opened, cancelled 14:30
    T8 opened the next day 00:10 (outside the period)
    T9 opened 11-08, resolved 11-09 by C, reopened 09:00 (from C), resolve due 21:00 passed
    surveys sent that day: T6 5★ with praise (C), T1 4★ (A), T3 2★ (A), T2 unanswered (B),
    T9 3★ (C)
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_settings
from bot.core.appraisal import appraisal
from bot.core.chart_series import daily_opened, heat_map
from bot.core.facts import NO_KEY, EventFact, PlaceTicket, SurveyFact, TicketFact
from bot.core.hot_spots import hot_spots
from bot.core.periods import days_period, parse_period
from bot.core.stats import PeriodFacts, breakdown, summary
from bot.core.summaries import Durations, Share, percentile
from bot.reports import charts
from bot.reports.builder import build_report
from bot.reports.labelled_charts import report_charts
from bot.reports.messages import split_messages, telegram_text
from bot.reports.schedule import Timing, latest, pending, run_on, upcoming
from bot.reports.tables import terminal_text
from bot.reports.words import Words
from bot.store import Store
from bot.store.reports import Scope
from bot.store.sqlite.reports import REPORT_INDEXES
from bot.texts import default_catalog

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
A, B, C = 7034518826, 7129046613, 6875203341  # 王强, 刘海涛, 张伟 in the shipped config
DAY = days_period(date(2026, 11, 10), date(2026, 11, 10), TZ, "day")
NOW = datetime(2026, 11, 11, 10, 0, tzinfo=TZ)


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    """A local moment in November 2026, as the store keeps it (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass
class Case:
    """One ticket of the scenario: its row, its timeline and its surveys."""

    fact: TicketFact
    events: list[tuple[str, datetime, int | None, dict[str, Any]]] = field(default_factory=list)
    surveys: list[tuple[int | None, datetime, int | None, str | None]] = field(
        default_factory=list
    )  # staff, sent, rating (None: unanswered), praise


def _t(
    tid: int,
    created: datetime,
    accept_due: datetime,
    resolve_due: datetime,
    *,
    status: str,
    assignee: int | None,
    department: str = "maintenance",
    category: str = "water_power",
    building: str | None = "3",
    area: str | None = None,
    **milestones: Any,
) -> TicketFact:
    return TicketFact(
        id=tid,
        number=f"HV-T{tid}",
        kind="repair",
        category=category,
        department=department,
        estate="harbour_view",
        building=building,
        area=area,
        status=status,
        assignee_id=assignee,
        created_at=created,
        accept_due=accept_due,
        resolve_due=resolve_due,
        **milestones,
    )


def scenario() -> list[Case]:
    """The tickets of the day, with the facts the store should derive from their timelines."""
    return [
        Case(
            _t(
                1,
                at(9),
                at(9, 30),
                at(13),
                status="closed",
                assignee=A,
                accepted_at=at(9, 10),
                accepted_by=A,
                resolved_at=at(11),
                resolved_by=A,
            ),
            [
                ("assigned", at(9), None, {"to": A}),
                ("accepted", at(9, 10), A, {}),
                ("resolved", at(11), A, {"note": "ok"}),
                ("confirmed", at(11, 30), 4001, {}),
            ],
            [(A, at(12), 4, None)],
        ),
        Case(
            _t(
                2,
                at(10),
                at(10, 30),
                at(14),
                status="resolved",
                assignee=B,
                accepted_at=at(10, 40),
                accepted_by=B,
                resolved_at=at(15),
                resolved_by=B,
            ),
            [
                ("assigned", at(10), None, {"to": B}),
                ("accepted", at(10, 40), B, {}),
                ("resolved", at(15), B, {"note": "ok"}),
            ],
            [(B, at(16), None, None)],
        ),
        Case(
            _t(
                3,
                at(11),
                at(11, 5),
                at(15),
                status="closed",
                assignee=A,
                building="1",
                category="lift",
                accepted_at=at(11, 2),
                accepted_by=A,
                resolved_at=at(12),
                resolved_by=A,
            ),
            [
                ("accepted", at(11, 2), A, {}),
                ("resolved", at(12), A, {"note": "ok"}),
                ("closed", at(23), None, {}),
            ],
            [(A, at(13), 2, None)],
        ),
        Case(
            _t(
                4,
                at(12),
                at(13),
                at(12, day=11),
                status="accepted",
                assignee=A,
                building=None,
                area="hv-garden",
                accepted_at=at(12, 50),
                accepted_by=A,
                accept_escalated=True,
            ),
            [
                ("assigned", at(12), None, {"to": B}),
                (
                    "escalated",
                    at(12, 30),
                    None,
                    {"stage": "accept", "from": B, "to": A, "due": at(12, 30).isoformat()},
                ),
                ("accepted", at(12, 50), A, {}),
            ],
        ),
        Case(
            _t(5, at(13), at(13, 30), at(12, day=12), status="assigned", assignee=B),
            [("assigned", at(13), None, {"to": B})],
        ),
        Case(
            _t(
                6,
                at(20, day=9),
                at(20, 30, day=9),
                at(20),
                status="closed",
                assignee=C,
                department="environment",
                category="cleaning",
                accepted_at=at(20, 5, day=9),
                accepted_by=C,
                resolved_at=at(8),
                resolved_by=C,
            ),
            [("accepted", at(20, 5, day=9), C, {}), ("resolved", at(8), C, {"note": "ok"})],
            [(C, at(10), 5, "Very quick, thank you")],
        ),
        Case(
            _t(
                7,
                at(14),
                at(14, 30),
                at(14, day=11),
                status="cancelled",
                assignee=C,
                department="environment",
                category="cleaning",
            ),
            [("cancelled", at(14, 30), 4002, {"reason": ""})],
        ),
        Case(
            _t(
                8,
                at(0, 10, day=11),
                at(0, 40, day=11),
                at(12, day=11),
                status="accepted",
                assignee=A,
                accepted_at=at(0, 20, day=11),
                accepted_by=A,
            ),
            [("accepted", at(0, 20, day=11), A, {})],
        ),
        Case(
            _t(
                9,
                at(9, day=8),
                at(9, 30, day=10),
                at(21),
                status="assigned",
                assignee=C,
                department="environment",
                category="cleaning",
                accepted_at=at(9, 10, day=8),
                accepted_by=C,
                resolved_at=at(10, day=9),
                resolved_by=C,
            ),
            [
                ("accepted", at(9, 10, day=8), C, {}),
                ("resolved", at(10, day=9), C, {}),
                ("reopened", at(9), 4003, {"from": C, "to": C, "text": "still leaking"}),
                ("accepted", at(9, 20), C, {}),
            ],
            [(C, at(9, 30), 3, None)],
        ),
    ]


def facts_of(cases: list[Case]) -> PeriodFacts:
    """The period facts as the store should hand them over (built by hand)."""
    # T9 was accepted again after reopening, but the first acceptance (11-08) is what counts.
    events = [
        EventFact(c.fact.id, kind, moment, actor, data.get("from"))
        for c in cases
        for kind, moment, actor, data in c.events
        if kind in ("resolved", "reopened", "cancelled", "escalated") and DAY.contains(moment)
    ]
    surveys = [
        SurveyFact(c.fact.id, staff, sent, rating is not None, rating, praise is not None)
        for c in cases
        for staff, sent, rating, praise in c.surveys
    ]
    return PeriodFacts(DAY, NOW, [c.fact for c in cases if c.fact.id != 8], events, surveys)


# --- pure statistics --------------------------------------------------------------------------


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)  # rank 2.7: 3 + 0.7 × (4 − 3)
    assert percentile([7], 0.9) == 7
    assert Durations.of([]) == Durations()


def test_summary_of_the_day() -> None:
    s = summary(facts_of(scenario()))
    assert (s.opened, s.resolved, s.reopened, s.cancelled, s.escalations) == (6, 4, 1, 1, 1)
    # Accepted in the period: T1 10, T2 40, T3 2, T4 50 minutes → sorted 2, 10, 40, 50.
    assert s.accept.count == 4
    assert s.accept.median == minutes((10 + 40) / 2)
    assert s.accept.p90 == minutes(40 + 0.7 * (50 - 40))
    # Resolved in the period and still resolved: T1 120, T2 300, T3 60, T6 720 minutes.
    assert s.resolve.count == 4
    assert s.resolve.median == minutes((120 + 300) / 2)
    assert s.resolve.p90 == minutes(300 + 0.7 * (720 - 300))
    # Accept: T1 ✓, T2 ✗ (late), T3 ✓, T4 ✗ (escalated), T5 ✗ (never accepted, due passed).
    assert s.accept_deadline == Share(2, 5)
    # Resolve: T1 ✓, T2 ✗, T3 ✓, T6 ✓, T9 ✗ (reopened, due 21:00 passed); T4/T5 due later.
    assert s.resolve_deadline == Share(3, 5)
    sat = s.satisfaction
    assert (sat.sent, sat.answered, sat.rated) == (5, 4, 4)
    assert dict(sat.distribution) == {5: 1, 4: 1, 3: 1, 2: 1, 1: 0}
    assert sat.average == (5 + 4 + 3 + 2) / 4
    assert sat.satisfied_rate == 2 / 4  # (5 + 4) / answers
    assert sat.response_rate == 4 / 5
    assert s.praise == 1
    assert s.not_fixed_rate == 1 / 4


def test_breakdowns_split_the_same_numbers() -> None:
    facts = facts_of(scenario())
    by_dept = breakdown(facts, lambda t: t.department)
    assert list(by_dept) == ["maintenance", "environment"]  # the busiest first
    m, e = by_dept["maintenance"], by_dept["environment"]
    assert (m.opened, m.resolved, m.escalations, m.cancelled) == (5, 3, 1, 0)
    assert (e.opened, e.resolved, e.reopened, e.cancelled) == (1, 1, 1, 1)
    assert m.accept_deadline == Share(2, 5) and e.resolve_deadline == Share(1, 2)
    assert e.satisfaction.average == (5 + 3) / 2 and m.satisfaction.sent == 3
    by_building = breakdown(facts, lambda t: t.building_key)
    assert by_building["harbour_view/3"].opened == 4  # T1, T2, T5, T7
    assert by_building[NO_KEY].opened == 1  # T4, in the estate garden
    for name in ("opened", "resolved", "reopened", "cancelled", "escalations"):
        assert sum(getattr(g, name) for g in by_dept.values()) == getattr(summary(facts), name)


def test_staff_appraisal() -> None:
    rows = {r.staff_id: r for r in appraisal(facts_of(scenario()))}
    a, b, c = rows[A], rows[B], rows[C]
    # A accepted T1, T3, T4 and resolved T1, T3.
    assert a.handled == 3
    assert a.accept.median == minutes(10) and a.resolve.median == minutes((60 + 120) / 2)
    assert a.deadline == Share(4, 5)  # T4's acceptance came after an escalation
    assert (a.ratings, a.average_rating, a.praise, a.reopen_rate) == (2, 3.0, 0, 0.0)
    # B: T2 late twice, and T5 never accepted.
    assert b.handled == 1 and b.deadline == Share(0, 3)
    assert (b.ratings, b.average_rating) == (0, None)
    # C resolved T6 in time; T9 came back to C and is overdue again.
    assert c.handled == 1 and c.accept.count == 0 and c.resolve.median == minutes(720)
    assert c.deadline == Share(1, 2)
    assert (c.ratings, c.average_rating, c.praise) == (2, 4.0, 1)
    assert (c.resolved, c.reopened, c.reopen_rate) == (1, 1, 1.0)
    # The busiest first; B and C tie (one each), so the lower Telegram id comes first.
    assert [r.staff_id for r in appraisal(facts_of(scenario()))] == [A, C, B]


def test_hot_spots_need_three_in_thirty_days() -> None:
    end = at(0, day=30)

    def report(
        n: int,
        days_ago: float,
        *,
        area: str | None = "hv-3-lifts",
        kind: str = "repair",
        category: str = "lift",
        building: str | None = "3",
    ) -> PlaceTicket:
        return PlaceTicket(
            f"HV-{n:04d}",
            kind,
            category,
            "harbour_view",
            building,
            area,
            end - timedelta(days=days_ago),
        )

    tickets = [
        report(1, 29),
        report(2, 10),
        report(3, 1),  # three at the block 3 lifts: hot
        report(4, 31),
        report(5, 2, area="hv-1-lifts", building="1"),  # too old / elsewhere
        report(6, 3, area="hv-1-lifts", building="1"),
        report(7, 3, area="hv-1-lifts", building="1", kind="enquiry"),  # not a complaint
        report(8, 5, area=None, category="water_power"),  # flats of block 3
        report(9, 4, area=None, category="water_power"),
        report(10, 2, area=None, category="water_power"),
        report(11, 2, area=None, category="cleaning"),
        report(12, 1, area=None, building=None, category="cleaning"),  # no place to go to
    ]
    spots = hot_spots(tickets, end)
    assert [(s.area, s.building, s.category, s.numbers) for s in spots] == [
        (None, "3", "water_power", ("HV-0008", "HV-0009", "HV-0010")),
        ("hv-3-lifts", "3", "lift", ("HV-0001", "HV-0002", "HV-0003")),
    ]
    assert hot_spots(tickets, end, minimum=4) == []
    assert len(hot_spots(tickets, end, days=40)) == 2  # T4 joins the lifts: now 4
    assert hot_spots(tickets, end, days=40)[0].count == 4


def test_series_for_charts() -> None:
    facts = facts_of(scenario())
    days = [date(2026, 11, 9), date(2026, 11, 10)]
    places = [
        PlaceTicket(t.number, t.kind, t.category, t.estate, t.building, t.area, t.created_at)
        for t in facts.tickets
    ]
    assert daily_opened(places, days, TZ) == {
        "water_power": [0, 4],
        "cleaning": [1, 1],
        "lift": [0, 1],
    }  # T9 is from the 8th
    rows, cols, grid = heat_map(facts.tickets, DAY)
    assert rows == ["water_power", "cleaning", "lift"]
    assert dict(zip(cols, grid[0], strict=True)) == {
        "harbour_view/3": 3,
        "harbour_view/1": 0,
        NO_KEY: 1,
    }  # T1 T2 T5 | T3 is a lift | T4


@pytest.mark.parametrize(
    ("spec", "first", "last", "kind"),
    [
        ("day", "2026-11-26", "2026-11-26", "day"),
        ("yesterday", "2026-11-25", "2026-11-25", "day"),
        ("week", "2026-11-23", "2026-11-29", "week"),
        ("last-week", "2026-11-16", "2026-11-22", "week"),
        ("month", "2026-11-01", "2026-11-30", "month"),
        ("last-month", "2026-10-01", "2026-10-31", "month"),
        ("2026-02", "2026-02-01", "2026-02-28", "month"),
        ("2026-11-01..2026-11-30", "2026-11-01", "2026-11-30", "custom"),
        ("2026-11-03", "2026-11-03", "2026-11-03", "day"),
    ],
)
def test_periods(spec: str, first: str, last: str, kind: str) -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday
    period = parse_period(spec, now, TZ)
    assert period.kind == kind
    assert period.start == datetime.combine(date.fromisoformat(first), datetime.min.time(), TZ)
    assert period.end == datetime.combine(
        date.fromisoformat(last) + timedelta(days=1), datetime.min.time(), TZ
    )


@pytest.mark.parametrize(
    "spec", ["fortnight", "2026-13", "2026-11-30..2026-11-01", "2024-01-01..2026-01-01"]
)
def test_bad_periods(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_period(spec, NOW, TZ)


# --- when scheduled reports are due (pure) ----------------------------------------------------


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


TIMING = Timing(datetime.strptime("08:00", "%H:%M").time(), "mon", TZ)


def test_daily_digest_due_times() -> None:
    run = latest("daily", local(26, 10), TIMING)
    assert (run.period.label, run.due, run.key) == ("2026-11-25", local(26, 8), 20261125)
    assert latest("daily", local(26, 7, 59), TIMING).period.label == "2026-11-24"
    assert upcoming("daily", local(26, 10), TIMING).due == local(27, 8)
    assert upcoming("daily", local(26, 7, 59), TIMING).due == local(26, 8)


def test_weekly_and_monthly_due_times() -> None:
    thursday = local(26, 10)
    week = latest("weekly", thursday, TIMING)
    assert (week.period.label, week.due) == ("2026-11-16..2026-11-22", local(23, 8))
    nxt = upcoming("weekly", thursday, TIMING)
    assert (nxt.period.label, nxt.due) == ("2026-11-23..2026-11-29", local(30, 8))
    assert latest("weekly", local(23, 7), TIMING).due == local(16, 8)
    month = latest("monthly", thursday, TIMING)
    assert (month.period.label, month.due) == ("2026-10", local(1, 8))
    assert upcoming("monthly", thursday, TIMING).due == local(1, 8, month=12)
    friday = Timing(TIMING.at, "fri", TZ)
    assert run_on("weekly", date(2026, 11, 27), friday).period.label == "2026-11-20..2026-11-26"


def test_pending_runs_once_and_only_the_latest() -> None:
    now = local(26, 10)
    assert pending("daily", None, now, TIMING) is None  # first start: wait for the next one
    done = latest("daily", now, TIMING).key
    assert pending("daily", done, now, TIMING) is None  # already sent
    assert pending("daily", done, local(27, 7, 59), TIMING) is None
    run = pending("daily", done, local(27, 8), TIMING)
    assert run is not None and run.period.label == "2026-11-26"
    # Down for three days: one digest, for the latest day, not a backlog of three.
    late = pending("daily", done, local(29, 15), TIMING)
    assert late is not None and late.period.label == "2026-11-28"


# --- the SQL gives the same facts -------------------------------------------------------------


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def fill(store: Store, cases: list[Case]) -> None:
    """Write the scenario's tickets, timelines and surveys as the bot would have."""
    for c in cases:
        t = c.fact
        await store.query(
            "INSERT INTO tickets (id, number, owner_id, kind, category, department, estate,"
            " building, area, urgency, description, photos, language, status, assignee_id,"
            " created_at, updated_at, accept_due, resolve_due)"
            " VALUES (?, ?, 4000, ?, ?, ?, ?, ?, ?, 'urgent', ?, '[]', 'en', ?, ?, ?, ?, ?, ?)",
            (
                t.id,
                t.number,
                t.kind,
                t.category,
                t.department,
                t.estate,
                t.building,
                t.area,
                '=HYPERLINK("http://x")' if t.id == 1 else f"Ticket {t.id} 漏水",
                t.status,
                t.assignee_id,
                _ts(t.created_at),
                _ts(t.created_at),
                _ts(t.accept_due),
                _ts(t.resolve_due),
            ),
        )
        for kind, moment, actor, data in [("created", t.created_at, 4000, {}), *c.events]:
            await store.query(
                "INSERT INTO ticket_events (ticket_id, at, kind, actor_id, data)"
                " VALUES (?, ?, ?, ?, ?)",
                (t.id, _ts(moment), kind, actor, json.dumps(data)),
            )
        for n, (staff, sent, rating, praise) in enumerate(c.surveys, start=1):
            await store.query(
                "INSERT INTO surveys (ticket_id, round, staff_id, status, due_at, sent_at,"
                " answered_at, rating, praise) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    t.id,
                    n,
                    staff,
                    "sent" if rating is None else "answered",
                    _ts(sent),
                    _ts(sent),
                    None if rating is None else _ts(sent + timedelta(hours=1)),
                    rating,
                    praise,
                ),
            )


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    """A real database holding the scenario."""
    db = await Store.open(tmp_path / "stats.sqlite3")
    for statement in filter(str.strip, REPORT_INDEXES.split(";")):
        await db.query(statement)
    await fill(db, scenario())
    yield db
    await db.close()


async def test_store_derives_the_same_facts(store: Store) -> None:
    queries = store
    got = {t.id: t for t in await queries.ticket_facts(DAY.start, DAY.end, NOW)}
    expected = facts_of(scenario())
    assert sorted(got) == [1, 2, 3, 4, 5, 6, 7, 9]  # T8 belongs to the next day
    for fact in expected.tickets:
        assert got[fact.id] == fact, fact.id
    events = await queries.period_events(DAY.start, DAY.end)
    assert sorted(events, key=lambda e: (e.ticket_id, e.at)) == sorted(
        expected.events, key=lambda e: (e.ticket_id, e.at)
    )
    surveys = await queries.surveys_sent(DAY.start, DAY.end)
    assert sorted(surveys, key=lambda s: s.ticket_id) == sorted(
        expected.surveys, key=lambda s: s.ticket_id
    )


async def test_scope_limits_every_query(store: Store) -> None:
    queries = store
    env = Scope(departments=frozenset({"environment"}))
    assert {t.id for t in await queries.ticket_facts(DAY.start, DAY.end, NOW, env)} == {6, 7, 9}
    assert {e.ticket_id for e in await queries.period_events(DAY.start, DAY.end, env)} == {6, 7, 9}
    assert {s.ticket_id for s in await queries.surveys_sent(DAY.start, DAY.end, env)} == {6, 9}
    nobody = Scope(estates=frozenset({"emerald_lake"}))
    assert await queries.ticket_facts(DAY.start, DAY.end, NOW, nobody) == []


async def test_report_queries_use_indexes(store: Store) -> None:
    """The period's slice is found through indexes, never by reading every ticket."""
    plans = []
    for sql in (
        "SELECT id FROM tickets WHERE created_at >= '2026' AND created_at < '2027'",
        "SELECT ticket_id FROM ticket_events WHERE kind IN ('accepted', 'resolved')"
        " AND at >= '2026' AND at < '2027'",
        "SELECT ticket_id FROM surveys WHERE sent_at >= '2026' AND sent_at < '2027'",
    ):
        rows = await store.query(f"EXPLAIN QUERY PLAN {sql}")
        plans.append(" ".join(str(r["detail"]) for r in rows))
    assert "USING COVERING INDEX tickets_created" in plans[0]
    assert "USING COVERING INDEX ticket_events_kind_at" in plans[1]
    assert "USING INDEX surveys_sent" in plans[2] or "COVERING INDEX surveys_sent" in plans[2]


async def test_claiming_a_run_succeeds_once(store: Store) -> None:
    queries = store
    assert await queries.last_run("daily") is None
    assert await queries.claim_run("daily", 20261125)
    assert not await queries.claim_run("daily", 20261125)  # the same day again: no
    assert not await queries.claim_run("daily", 20261124)  # an older one: no
    assert await queries.claim_run("daily", 20261126)
    assert await queries.last_run("daily") == 20261126
    assert await queries.last_run("weekly") is None


# --- whole reports, their words and charts ---------------------------------------------------


@pytest.fixture(scope="module")
def settings() -> Any:
    return load_settings(ROOT / "config.yaml", env={"TELEGRAM_BOT_TOKEN": "1:x"})


async def test_report_text_and_charts(store: Store, settings: Any) -> None:
    report = await build_report(store, settings, DAY, NOW)
    assert report.overall == summary(facts_of(scenario()))
    assert len(report.series_days) == 14 and report.series_days[-1] == date(2026, 11, 10)
    catalog = default_catalog()
    for lang in ("en", "zh-Hans", "zh-Hant"):
        words = Words(settings, catalog, lang)
        messages = telegram_text(words, report)
        assert all(len(m) <= 4096 for m in messages)
        text = "\n".join(messages)
        assert words.t("report.title", period="2026-11-10") in text
        assert "王强 (王师傅)" in text  # the appraisal names staff
        assert words.share(Share(2, 5)) in text  # accept deadlines
        assert "{" not in text
        assert words.t("report.staff_title") in terminal_text(words, report)
    en = "\n".join(telegram_text(Words(settings, catalog, "en"), report))
    assert "median 25 min, 90% within 47 min (4 tickets) · in time 40% (2/5)" in en
    assert "50% satisfied (5+4) · average 3.50 · 4 answers to 5 surveys (response rate 80%)" in en
    made = {c.name: c for c in report_charts(settings, catalog, "zh-Hans", report)}
    assert set(made) == {"opened_by_day", "deadlines", "satisfaction", "heat_map"}
    for chart in made.values():
        assert chart.png.startswith(charts.PNG_SIGNATURE) and len(chart.png) > 2000
    assert made["opened_by_day"].series == 3  # water_power, cleaning, lift
    assert made["deadlines"].series == 2  # accepted in time, resolved in time
    assert made["satisfaction"].series == 2  # satisfied %, average rating
    assert made["heat_map"].series == 3  # one row per category
    # Without a Chinese font the charts are labelled in English rather than with empty boxes.
    if charts.cjk_family() is None:
        assert made["opened_by_day"].labels == ("Water and electricity", "Cleaning", "Lifts")


def test_charts_without_data_and_with_many_categories() -> None:
    days = [date(2026, 11, d) for d in range(1, 15)]
    empty = charts.opened_by_day("t", days, {}, "Other", "No data")
    assert empty.png.startswith(charts.PNG_SIGNATURE) and empty.series == 0
    many = {f"c{n}": [n] * 14 for n in range(12)}
    crowded = charts.opened_by_day("t", days, many, "Other", "No data")
    assert crowded.series == charts.MAX_SERIES and crowded.labels[-1] == "Other"
    heat = charts.heat_map("t", ["a", "b"], ["x"], [[1], [0]], "No data")
    assert heat.series == 2


def test_long_reports_are_split_between_lines() -> None:
    lines = [f"line {n} " + "x" * 90 for n in range(100)]
    messages = split_messages(lines)
    assert len(messages) == 3 and all(len(m) <= 4096 for m in messages)
    assert "\n".join(messages).split("\n") == lines


# --- speed ------------------------------------------------------------------------------------


def _timeline(n: int, who: int, state: str) -> Iterator[tuple[str, int, int | None, str]]:
    """Ticket n's events: (kind, minutes after creation, actor, data)."""
    yield "created", 0, 4000, "{}"
    yield "assigned", 0, None, "{}"
    if state == "cancelled":
        yield "cancelled", 20, 4000, "{}"
        return
    if n % 33 == 0:
        yield "escalated", 30, None, json.dumps({"stage": "accept", "from": who})
    if state == "assigned":
        return
    yield "accepted", 5 + n % 50, who, "{}"
    yield "started", 60, who, "{}"
    if state == "accepted":
        return
    if n % 50 == 0:
        yield "resolved", 100, who, "{}"
        yield "reopened", 110, 4000, json.dumps({"from": who, "to": who})
        yield "accepted", 115, who, "{}"
    yield "resolved", 120 + n % 2000, who, "{}"
    yield "closed", 4000, None, "{}"


def _big_database(path: Path, tickets: int) -> None:
    """``tickets`` tickets over three years with timelines and surveys, roughly as in life:
    most closed with a survey, some cancelled, escalated or reopened, a few still open."""
    rng_start = datetime(2024, 1, 1, tzinfo=UTC)
    step = timedelta(days=3 * 365) / tickets
    categories = ("water_power", "home_repair", "lift", "cleaning", "parking", "noise")
    staff = (A, B, C)

    def status(n: int) -> str:
        if n > tickets - tickets // 200:
            return ("assigned", "accepted")[n % 2]  # the newest half percent is still open
        return "cancelled" if n % 20 == 0 else "closed"

    def ticket_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(1, tickets + 1):
            created = rng_start + step * n
            yield (
                n,
                f"HV-{n:08d}",
                n % 5000,
                "repair",
                categories[n % 6],
                ("maintenance", "environment")[n % 7 == 0],
                ("harbour_view", "emerald_lake")[n % 2],
                str(n % 6 + 1),
                "hv-garden" if n % 11 == 0 else None,
                "urgent",
                "漏水",
                "[]",
                "zh-Hans",
                status(n),
                staff[n % 3],
                _ts(created),
                _ts(created),
                _ts(created + timedelta(minutes=30)),
                _ts(created + timedelta(hours=24)),
            )

    def event_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(1, tickets + 1):
            created = rng_start + step * n
            for kind, minutes, actor, data in _timeline(n, staff[n % 3], status(n)):
                yield (n, _ts(created + timedelta(minutes=minutes)), kind, actor, data)

    def survey_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(1, tickets + 1):
            if status(n) != "closed":
                continue
            sent = rng_start + step * n + timedelta(days=1)
            answered = n % 4 != 0
            yield (
                n,
                1,
                staff[n % 3],
                "answered" if answered else "expired",
                _ts(sent),
                _ts(sent),
                _ts(sent) if answered else None,
                1 + n % 5 if answered else None,
                "谢谢" if n % 17 == 0 else None,
            )

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO tickets (id, number, owner_id, kind, category, department,"
        " estate, building, area, urgency, description, photos, language, status,"
        " assignee_id, created_at, updated_at, accept_due, resolve_due)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ticket_rows(),
    )
    db.executemany(
        "INSERT INTO ticket_events (ticket_id, at, kind, actor_id, data) VALUES (?, ?, ?, ?, ?)",
        event_rows(),
    )
    db.executemany(
        "INSERT INTO surveys (ticket_id, round, staff_id, status, due_at, sent_at,"
        " answered_at, rating, praise) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        survey_rows(),
    )
    db.execute("COMMIT")
    db.executescript(REPORT_INDEXES)
    db.execute("ANALYZE")  # the worst case for the planner: it knows most tickets are closed
    db.close()


@pytest.mark.slow
async def test_a_month_of_a_million_tickets_in_under_a_second(
    tmp_path: Path, settings: Any
) -> None:
    path = tmp_path / "million.sqlite3"
    await (await Store.open(path)).close()
    _big_database(path, 1_000_000)
    store = await Store.open(path)
    month = parse_period("2025-06", NOW, TZ)
    timings = []
    try:
        for _ in range(3):  # the first run also warms the page cache, as a running bot has it
            started = time.perf_counter()
            report = await build_report(store, settings, month, NOW)
            timings.append(time.perf_counter() - started)
    finally:
        await store.close()
    print(f"\nmonthly report over 1,000,000 tickets: {', '.join(f'{t:.3f}' for t in timings)} s")
    assert report.overall.opened > 25_000 and report.overall.satisfaction.sent > 20_000
    assert report.overall.reopened > 0 and report.overall.escalations > 0
    assert min(timings) < 1.0, timings


def test_facts_are_plain_values() -> None:
    # The store's facts compare by value, so the SQL test above checks every field.
    fact = scenario()[0].fact
    assert fact._replace() == fact and fact._replace(accepted_by=None) != fact
