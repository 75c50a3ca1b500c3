"""The one rule of who may see which ticket (bot.core.scope), and who hears of trouble."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import expand_env, load_settings, read_yaml, settings_from_data
from bot.config.models import StaffMember
from bot.core.actions import Actor
from bot.core.scope import Reach, may_see, out_of_scope, reach_of, supervisors_of

ROOT = Path(__file__).resolve().parent.parent


def member(role: str, departments: list[str], estates: list[str]) -> StaffMember:
    """A staff entry as config.yaml would give it."""
    return StaffMember.model_validate(
        {
            "telegram_id": 1,
            "name": "x",
            "role": role,
            "departments": departments,
            "estates": estates,
        }
    )


@pytest.mark.parametrize(
    ("role", "departments", "estates", "expected"),
    [
        ("admin", [], ["emerald_lake"], None),  # admins are never limited
        ("supervisor", [], [], None),  # no departments listed: every one
        ("supervisor", [], ["emerald_lake"], "other_estate"),  # ... but only their estates
        ("supervisor", ["maintenance"], ["emerald_lake"], "other_estate"),
        ("supervisor", ["security"], [], "other_department"),
        ("staff", [], [], "other_department"),  # plain staff without departments: nothing
        ("staff", ["maintenance"], [], None),
        ("staff", ["maintenance"], ["harbour_view"], None),
    ],
)
def test_one_rule_for_a_harbour_view_maintenance_ticket(
    role: str, departments: list[str], estates: list[str], expected: str | None
) -> None:
    who = member(role, departments, estates)
    assert out_of_scope(who, "maintenance", "harbour_view") == expected
    assert may_see(who, "maintenance", "harbour_view") is (expected is None)
    actor = Actor(1, role, frozenset(departments), frozenset(estates))  # type: ignore[arg-type]
    assert out_of_scope(actor, "maintenance", "harbour_view") == expected
    # As a listing filter it lets through exactly what may_see does.
    reach = reach_of(who)
    listed = (reach.departments is None or "maintenance" in reach.departments) and (
        reach.estates is None or "harbour_view" in reach.estates
    )
    assert listed is (expected is None)


def test_reach_of_an_admin_and_a_supervisor_without_departments() -> None:
    assert reach_of(member("admin", ["service"], [])) == Reach(None, None)
    assert reach_of(member("supervisor", [], ["emerald_lake"])) == Reach(
        None, frozenset({"emerald_lake"})
    )


def test_supervisors_of_a_ticket_are_those_whose_patch_holds_it() -> None:
    settings = load_settings(ROOT / "config.yaml", env={})
    assert supervisors_of(settings, "maintenance", "harbour_view") == [6021834457]
    data = expand_env(read_yaml(ROOT / "config.yaml"), {})
    data["staff"][1]["estates"] = ["emerald_lake"]  # 李工, maintenance fallback, narrowed
    narrowed = settings_from_data(data)
    assert supervisors_of(narrowed, "maintenance", "harbour_view") == []
    assert supervisors_of(narrowed, "maintenance", "emerald_lake") == [6021834457]
