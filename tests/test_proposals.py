"""The incident proposal's pure parts and its config keys: what a cluster is, from when reports
count, the side-by-side lines, and check-config naming a wrong key and value."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, settings_from_data
from bot.config.load import expand_env, read_yaml
from bot.core.hot_spots import HotSpot
from bot.core.incident_proposals import (
    LISTED,
    cluster_of,
    counting_since,
    due,
    report_lines,
)
from bot.core.incident_stats import IncidentFact, active_in, spot_incident, summarize
from bot.core.models import Ticket
from tests.test_config import SHIPPED

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def ticket(n: int, **changes: Any) -> Ticket:
    fields: dict[str, Any] = {
        "owner_id": 100 + n,
        "kind": "repair",
        "category": "water_power",
        "subcategory": "no_water",
        "department": "maintenance",
        "estate": "harbour_view",
        "building": "3",
        "unit": f"{n:02d}01",
        "area": None,
        "location_detail": None,
        "urgency": "emergency",
        "description": "家里 没有水了，厨房和卫生间都没有，从早上开始一直这样" + "!" * n,
        "photos": (),
        "language": "zh-Hans",
        "created_at": NOW + timedelta(minutes=n),
        "accept_due": NOW,
        "resolve_due": NOW,
        "id": n,
        "number": f"HV-{n:04d}",
    }
    return Ticket(**{**fields, **changes})


def test_a_cluster_is_one_place_and_one_subject() -> None:
    home = cluster_of(ticket(1))
    assert home is not None and home.key == "harbour_view|b:3|water_power|no_water"
    lobby = cluster_of(ticket(2, area="hv-3-lobby", building=None, unit=None))
    assert lobby is not None and lobby.key == "harbour_view|a:hv-3-lobby|water_power|no_water"
    other = cluster_of(ticket(3, subcategory=None))
    assert other is not None and other.key == "harbour_view|b:3|water_power|"
    assert cluster_of(ticket(4, building=None)) is None  # nowhere in particular


def test_reports_count_within_the_window_and_after_the_last_decision() -> None:
    window = timedelta(minutes=30)
    assert counting_since(NOW, window, None) == NOW - window
    assert counting_since(NOW, window, NOW - timedelta(minutes=5)) == NOW - timedelta(minutes=5)
    assert counting_since(NOW, window, NOW - timedelta(hours=2)) == NOW - window
    assert not due(4, 5) and due(5, 5) and due(6, 5)


def test_the_reports_side_by_side_oldest_first_with_the_rest_counted() -> None:
    tickets = [ticket(n) for n in reversed(range(LISTED + 3))]
    lines, more = report_lines(tickets, TZ, lambda t: f"{t.building}栋 {t.unit}")
    assert more == 3 and len(lines) == LISTED
    assert lines[0] == "HV-0000 · 10:00 · 3栋 0001 · 家里 没有水了，厨房和卫生间都没有，从早上开始…"
    assert lines[1].startswith("HV-0001 · 10:01 · 3栋 0101 · ")


def _raw() -> dict[str, Any]:
    data = read_yaml(SHIPPED)
    assert isinstance(data, dict)
    data["telegram"]["api_base_url"] = expand_env(data["telegram"]["api_base_url"], {})
    return copy.deepcopy(data)


def test_shipped_config_proposes_after_five_reports_in_thirty_minutes() -> None:
    settings = settings_from_data(_raw())
    assert settings.incidents.suggest_after == 5
    assert settings.incidents.suggest_window == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("suggest_after", 1, "incidents.suggest_after"),
        ("suggest_after", "many", "incidents.suggest_after"),
        ("suggest_window", "half an hour", "incidents.suggest_window"),
        ("suggest_window", "0s", "incidents.suggest_window"),
    ],
)
def test_check_config_names_a_wrong_proposal_key_and_value(key: str, value: Any, said: str) -> None:
    data = _raw()
    data["incidents"][key] = value
    with pytest.raises(ConfigError) as info:
        settings_from_data(data)
    assert any(said in e and str(value) in e for e in info.value.errors), info.value.errors


# ----- incidents in reports (bot/core/incident_stats.py) ---------------------------------------


def fact(n: int, hours: float | None, **changes: Any) -> IncidentFact:
    fields: dict[str, Any] = {
        "id": n,
        "estate": "harbour_view",
        "buildings": ("3",),
        "common_areas": False,
        "category": "water_power",
        "subcategory": "no_water",
        "department": "maintenance",
        "texts": {"zh-Hans": "停水"},
        "started_at": NOW,
        "eta": None,
        "closed_at": NOW + timedelta(hours=hours) if hours is not None else None,
        "linked": 3,
        "subscribers": 4,
        "unticketed": 2,
    }
    return IncidentFact(**{**fields, **changes})


def test_the_periods_incidents_summed_with_the_median_time_to_all_clear() -> None:
    facts = [fact(1, 1), fact(2, 3), fact(3, None), fact(4, 2, linked=0, unticketed=7)]
    s = summarize(facts)
    assert (s.count, s.closed, s.linked, s.unticketed, s.folded) == (4, 3, 9, 13, 22)
    assert s.subscribers == 16
    assert s.to_all_clear == timedelta(hours=2) and s.longest == timedelta(hours=3)
    even = summarize([fact(1, 1), fact(2, 2)])
    assert even.to_all_clear == timedelta(hours=1.5)
    none = summarize([])
    assert none.count == 0 and none.to_all_clear is None and none.longest is None


def test_an_incident_is_in_a_period_while_it_goes_on() -> None:
    f = fact(1, 2)
    assert active_in(f, NOW - timedelta(hours=1), NOW + timedelta(minutes=1))
    assert active_in(f, NOW + timedelta(hours=2), NOW + timedelta(hours=3))  # closes then
    assert not active_in(f, NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    assert not active_in(f, NOW - timedelta(hours=2), NOW)  # starts as the period ends
    assert active_in(fact(2, None), NOW + timedelta(days=30), NOW + timedelta(days=31))


def test_a_hot_spot_points_to_the_incident_that_covers_it() -> None:
    start, end = NOW - timedelta(days=30), NOW + timedelta(days=1)
    spot = HotSpot("harbour_view", "3", None, "water_power", ("A", "B", "C"))
    lobby = HotSpot("harbour_view", None, "hv-3-lobby", "water_power", ("D", "E", "F"))
    where = {"hv-3-lobby": "3"}.get
    small, big = fact(1, 1, linked=1, unticketed=0), fact(2, 1, linked=5)
    assert spot_incident(spot, [small, big], start, end, where) == 2
    # Another category, another building, another estate, or over before the window: none.
    for other in (
        fact(3, 1, category="lift"),
        fact(4, 1, buildings=("5",)),
        fact(5, 1, estate="emerald_lake"),
        fact(6, 1, started_at=start - timedelta(days=2), closed_at=start - timedelta(days=1)),
    ):
        assert spot_incident(spot, [other], start, end, where) is None
    # A common area: only an incident that takes its building's common areas (or the estate's).
    assert spot_incident(lobby, [big], start, end, where) is None
    assert spot_incident(lobby, [fact(7, 1, common_areas=True)], start, end, where) == 7
    whole = fact(8, None, buildings=(), common_areas=True)  # the whole estate takes them all
    assert spot_incident(lobby, [whole], start, end, where) == 8
