"""Digest cards' pure rules (bot.core.digest) and their config keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_settings
from bot.core.digest import Digest, DigestLine, burst, common, joinable, short_numbers
from tests.test_config import raw, write  # noqa: F401  (raw: the fixture)

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=2)


def _digest(lines: int, last: datetime = NOW) -> Digest:
    return Digest(
        -100, 7, tuple(DigestLine(i, True, last - timedelta(seconds=i)) for i in range(lines))
    )


def test_a_digest_takes_tickets_while_the_burst_goes_on_and_it_has_room() -> None:
    assert joinable(None, NOW, WINDOW, 30) == 0
    assert joinable(Digest(-100, 7, ()), NOW, WINDOW, 30) == 0
    assert joinable(_digest(5), NOW, WINDOW, 30) == 25
    assert joinable(_digest(5), NOW + WINDOW, WINDOW, 30) == 25
    assert joinable(_digest(5), NOW + WINDOW + timedelta(seconds=1), WINDOW, 30) == 0  # quiet
    assert joinable(_digest(30), NOW, WINDOW, 30) == 0  # full
    assert _digest(3).last_added == NOW and _digest(3).ticket_ids == [0, 1, 2]


def test_the_rule_a_burst_is_cards_already_waiting_or_an_open_digest() -> None:
    assert not burst(0, 0)  # a quiet group: the ticket's own card
    assert burst(1, 0) and burst(0, 3)


def test_buttons_name_tickets_by_the_days_sequence_unless_two_clash() -> None:
    assert short_numbers(["HV-20261126-0041", "HV-20261126-0042"]) == ["0041", "0042"]
    clash = ["HV-20261125-0041", "HV-20261126-0041"]
    assert short_numbers(clash) == clash
    assert common(["3", "3"]) == "3" and common(["3", "4"]) is None and common([]) is None


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"max_tickets": 31}, "group_digest.max_tickets"),
        ({"max_tickets": 1}, "group_digest.max_tickets"),
        ({"join_within": "2s"}, "group_digest.join_within"),
        ({"join_within": "2 weeks"}, "group_digest.join_within"),
        ({"enable": True}, "group_digest.enable"),
    ],
)
def test_bad_digest_settings_name_key_and_value(
    tmp_path: Path,
    raw: dict[str, Any],  # noqa: F811
    section: dict[str, Any],
    problem: str,
) -> None:
    raw["group_digest"] = section
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, raw), env={})
    assert any(e.startswith(problem) for e in caught.value.errors), caught.value.errors


def test_digest_settings_default_on(
    tmp_path: Path,
    raw: dict[str, Any],  # noqa: F811
) -> None:
    settings = load_settings(write(tmp_path, raw), env={})
    assert settings.group_digest.enabled and settings.group_digest.max_tickets == 30
    raw["group_digest"] = {"enabled": False, "max_tickets": 10, "join_within": "30s"}
    off = load_settings(write(tmp_path, raw), env={}).group_digest
    assert (off.enabled, off.max_tickets, off.join_within) == (False, 10, timedelta(seconds=30))
