"""The guided /notice's pure parts (bot/core/notice_flow.py, flows/notice.yaml): each answer
checked as it is given in the form's words, and the finished answers judged by the form's
``build``. A fixed clock: Thursday 2026-11-26 10:00 in Shanghai."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.core import notice_flow
from bot.core.announcements import build, parse_form, parse_time
from bot.core.flow import Flow, FlowError, load_flow
from bot.core.runner import FlowState, Press, Runner, TextInput
from bot.core.sources import SOURCE_NAMES, ConfigContext
from bot.loading import load_all
from bot.texts import default_catalog
from tests.harness import ROOT

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CATALOG = default_catalog()
LI = 6021834457  # supervisor, every estate


@pytest.fixture(scope="module")
def loaded() -> tuple[Settings, dict[str, Flow]]:
    return load_all(ROOT / "config.yaml")


def runner(loaded: tuple[Settings, dict[str, Flow]], now: datetime = NOW) -> Runner:
    settings, flows = loaded
    ctx = ConfigContext(settings, CATALOG, "en", None, frozenset(), now)
    return Runner(flows["notice"], ctx)


def at(run: Runner, state: FlowState, step: str, **answers: Any) -> FlowState:
    """The state moved to ``step`` with more answers."""
    return replace(state, step=step, answers={**state.answers, **answers})


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("明天 9点", "2026-11-27 09:00"),
        ("明日 9點", "2026-11-27 09:00"),
        ("下午3点半", "2026-11-26 15:30"),
        ("今天 18点15分", "2026-11-26 18:15"),
        ("tomorrow 9:00", "2026-11-27 09:00"),
        ("12-02 09:00", "2026-12-02 09:00"),
    ],
)
def test_typed_times_phones_write(
    loaded: tuple[Settings, dict[str, Flow]], typed: str, local: str
) -> None:
    settings = loaded[0]
    moment = parse_time(typed, settings, NOW)
    assert moment is not None and notice_flow.stamp(moment, settings) == local


def test_quick_start_buttons_are_now_and_the_common_times_still_ahead(
    loaded: tuple[Settings, dict[str, Flow]],
) -> None:
    run = runner(loaded)
    step = run.flow.step("start")
    options = run.options_of(step, {})
    assert [o.id for o in options] == [
        "now",
        "2026-11-26 14:00",  # 08:00 and 09:00 today have passed
        "2026-11-27 08:00",
        "2026-11-27 09:00",
        "2026-11-27 14:00",
    ]
    assert options[1].label == "Today 14:00"


def test_each_time_is_checked_at_its_step_in_the_forms_words(
    loaded: tuple[Settings, dict[str, Flow]],
) -> None:
    run = runner(loaded)
    state = run.start("tok", {notice_flow.SENDER: LI}).state
    assert state is not None and state.step == "estate"
    start = at(run, state, "start")

    def said(state: FlowState, typed: str) -> str:
        result = run.handle(state, TextInput(typed))
        assert result.state is not None and result.state.step == state.step, typed
        return result.replies[0].text

    en = CATALOG.text
    assert said(start, "27/27 9") == en("en", "notice.err_time", field="start", value="27/27 9")
    moved = run.handle(start, TextInput("明天 9点")).state
    assert moved is not None and moved.step == "end"
    assert moved.answers["start"] == "2026-11-27 09:00"
    assert said(moved, "11-27 08:00") == en("en", "notice.err_end_before_start")
    # +8 h after the start, kept as a moment.
    eight = next(b for row in run.prompt(moved).buttons for b in row if b.label == "+8 h")
    ended = run.handle(moved, Press("end", eight.action)).state
    assert ended is not None and ended.answers["end"] == "2026-11-27 17:00"
    sent = at(run, ended, "send", end="2026-11-27 17:00")
    assert said(sent, "09:00") == en("en", "notice.err_send_past")
    expires = at(run, sent, "expires", send="2026-11-27 18:00")
    assert said(expires, "11-27 17:00") == en("en", "notice.err_send_after_expiry")
    assert said(expires, "11-25 17:00") == en("en", "notice.err_expiry_past")
    past_end = at(run, state, "end", start="2026-11-25 09:00")
    assert said(past_end, "11-25 12:00") == en("en", "notice.err_end_past")
    now = run.handle(at(run, state, "send"), TextInput("现在")).state
    assert now is not None and now.answers["send"] == "now" and now.step == "expires"
    text = at(run, state, "text")
    assert said(text, "x" * 10_000) == en("en", "notice.err_too_long", count=10_000, limit=3000)


def test_the_answers_are_judged_by_the_forms_build(
    loaded: tuple[Settings, dict[str, Flow]],
) -> None:
    settings = loaded[0]
    answers = {
        "estate": "harbour_view",
        "buildings": ["3", "5"],
        "kind": "planned",
        "start": "2026-11-27 09:00",
        "end": "2026-11-27 17:00",
        "send": "now",
        "expires": "2026-11-27 17:00",
        "text": "停水检修",
        "extra_lang": "en",
        "text_extra": "Water off",
    }
    fields, texts = notice_flow.form_fields(answers, settings)
    guided, error = build(fields, texts, settings, NOW, LI)
    assert error is None and guided is not None
    form = (
        "estate: harbour_view\nbuildings: 3, 5\nkind: planned\nstart: 11-27 09:00\n"
        "end: 11-27 17:00\nsend: now\ntext: 停水检修\ntext.en: Water off"
    )
    typed, _ = parse_form(form, settings, NOW, LI)
    assert guided == typed
    # All buildings, and a send time that passed while the text was typed.
    fields, texts = notice_flow.form_fields(
        {**answers, "buildings": ["all", "3"], "send": "2026-11-26 10:00"}, settings
    )
    later = NOW.replace(hour=3)
    notice, error = build(fields, texts, settings, later, LI)
    assert notice is None and error is not None and error.code == "send_past"
    assert notice_flow.STEP_OF[error.code] == "send"
    assert fields["buildings"] == "all"


def test_a_single_language_setup_asks_no_second_text(
    loaded: tuple[Settings, dict[str, Flow]],
) -> None:
    settings = loaded[0].model_copy(update={"languages": ["zh-Hans"]})
    ctx = ConfigContext(settings, CATALOG, "en", None, frozenset(), NOW)
    step = loaded[1]["notice"].step("extra_lang")
    assert [o.id for o in ctx.options(step, {})] == ["none"]


def test_the_validator_knows_checks_and_typed_answers(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "id: x\nstart: a\nsteps:\n"
        "  - {id: a, type: text, ask: notice.ask_text, check: nonsense, next: b}\n"
        "  - {id: b, type: text, ask: notice.ask_text, typed: true, next: _submit}\n",
        encoding="utf-8",
    )
    with pytest.raises(FlowError) as caught:
        load_flow(path, sources=SOURCE_NAMES, has_text=CATALOG.missing)
    text = str(caught.value)
    assert "check 'nonsense' is unknown" in text
    assert "'typed' needs a choice step with a 'check'" in text


def test_hong_kong_wording_on_the_card(loaded: tuple[Settings, dict[str, Flow]]) -> None:
    settings, flows = loaded
    ctx = ConfigContext(settings, CATALOG, "zh-Hant", None, frozenset(), NOW)
    run = Runner(flows["notice"], ctx)
    state = run.start("tok", {notice_flow.SENDER: LI}).state
    assert state is not None
    assert "屋苑" in run.prompt(state).text
    picked = replace(state, step="buildings", answers={**state.answers, "estate": "harbour_view"})
    labels = [b.label for row in run.prompt(picked).buttons for b in row]
    assert "▫️ 🏘 全部大廈" in labels and "▫️ 第3座" in labels
    start = replace(picked, step="start")
    assert "明日 09:00" in [b.label for row in run.prompt(start).buttons for b in row]
