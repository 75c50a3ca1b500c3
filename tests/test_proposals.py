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
from bot.core.incident_proposals import (
    LISTED,
    cluster_of,
    counting_since,
    due,
    report_lines,
)
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
