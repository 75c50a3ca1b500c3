"""Button data codec (client input!) and abuse limits, as pure functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.abuse import RateWindow, ticket_refusal
from bot.tg import callbacks as cb

SETTINGS = load_settings(Path(__file__).resolve().parent.parent / "config.yaml", env={})


@pytest.mark.parametrize(
    "value",
    [
        cb.FlowPress("tok12345", "category", "o:water_power"),
        cb.Menu("restart", "hv-3-lifts"),
        cb.TicketView(7),
        cb.TicketPage(16),
        cb.SetLanguage("zh-Hant"),
        cb.CardPress(9, "accept"),
        cb.OwnerPress(9, "withdraw"),
        cb.SurveyPress(3, 5),
        cb.FollowupPress(3, "reopen"),
    ],
)
def test_round_trip(value: cb.Callback) -> None:
    data = cb.encode(value)
    assert len(data.encode()) <= 64
    assert cb.decode(data) == value


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "x",
        "t:",
        "t:-1",
        "t:1e9",
        "k:1",
        "k:x:accept",
        "k:1:acc ept",
        "s:1:6",
        "s:1:0",
        "v:1:delete",
        "f:a:b",
        "l:",
        "p:abc",
        "q:1",
        "t:1;DROP",
        "ü:1",
        "f:" + "x" * 80,
        "t:" + "9" * 30,
        "k:99999999999999999999:accept",
        "s:123456789012345:5",
    ],
)
def test_forged_data_decodes_to_nothing(data: str | None) -> None:
    assert cb.decode(data) is None


def test_too_long_data_is_refused_when_encoding() -> None:
    with pytest.raises(ValueError, match="too long"):
        cb.encode(cb.FlowPress("tok12345", "category", "o:" + "x" * 60))


def test_ticket_limits() -> None:
    recent = [("noise", "Dogs barking"), ("noise", "dogs   BARKING")]
    assert ticket_refusal(SETTINGS, recent, "noise", "Dogs barking") == "limits.identical"
    assert ticket_refusal(SETTINGS, recent, "noise", "Music at 2am") is None
    many = [("cleaning", f"litter {i}") for i in range(10)]
    assert ticket_refusal(SETTINGS, many, "noise", "new") == "limits.tickets_per_day"


def test_rate_window_slides() -> None:
    window = RateWindow(3)
    assert [window.hit(t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert window.hit(60.5)  # the first message left the window
