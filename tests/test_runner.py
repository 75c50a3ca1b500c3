"""The flow runner on a small flow with a fixed world: moves, back, edit, skips and bad input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.core import choices
from bot.core.flow import Flow, Step, parse_flow
from bot.core.runner import (
    FlowState,
    Option,
    OtherInput,
    PhotoInput,
    Press,
    Result,
    Runner,
    TextInput,
)

FLOW = """
id: demo
start: kind
steps:
  - id: kind
    type: choice
    source: kinds
    ask: q.kind
    label: f.kind
    next: sub
  - id: sub
    type: choice
    source: subs
    ask: q.sub
    label: f.sub
    skip_if_empty: true
    next: place
  - id: place
    type: choice
    options: [home, street]
    ask: q.place
    label: f.place
    next:
      - if: {place: home}
        goto: flat
      - goto: spot
  - id: flat
    type: text
    limit: unit
    ask: q.flat
    label: f.flat
    next: level
  - id: spot
    type: choice
    source: spots
    ask: q.spot
    label: f.spot
    auto_pick_single: true
    next: level
  - id: level
    type: choice
    source: levels
    ask: q.level
    label: f.level
    next: words
  - id: words
    type: text
    limit: description
    ask: q.words
    label: f.words
    next: pics
  - id: pics
    type: photos
    limit: photos
    optional: true
    ask: q.pics
    label: f.pics
    next: end
  - id: end
    type: summary
    ask: q.end
"""

WORLD: dict[str, Any] = {
    "kinds": [("water", "Water"), ("lift", "Lift")],
    "subs": {"water": [("leak", "Leak"), ("none", "No water")], "lift": []},
    "spots": [("gate", "Main gate")],
    "levels": [("now", "Emergency"), ("soon", "Routine")],
}


class FakeContext:
    """Options from WORLD; texts are their keys (with params appended)."""

    def options(self, step: Step, answers: Mapping[str, Any]) -> Sequence[Option]:
        if step.options:
            return [Option(o, o.title()) for o in step.options]
        if step.source == "subs":
            items = WORLD["subs"].get(answers.get("kind"), [])
        else:
            items = WORLD[step.source or ""]
        note = "CALL 110" if step.source == "levels" else None
        return [Option(i, label, note=note if i == "now" else None) for i, label in items]

    def text(self, key: str, **params: Any) -> str:
        return key + ("" if not params else " " + repr(sorted(params.items())))

    def limits(self, name: str | None) -> tuple[int, int]:
        return {"unit": (1, 10), "description": (5, 50), "photos": (0, 3)}[name or ""]

    def check(self, step: Any, answers: Any, text: str) -> str | None:
        return None

    def propose(self, name: str, answers: Any, text: str | None = None) -> Any:
        return None


def _flow() -> Flow:
    return parse_flow(
        yaml.safe_load(FLOW),
        Path("demo.yaml"),
        sources=("kinds", "subs", "spots", "levels"),
        has_text=lambda key: [],
    )


def _runner() -> Runner:
    return Runner(_flow(), FakeContext())


def _buttons(result: Result) -> list[str]:
    return [b.action for r in result.replies for row in r.buttons for b in row]


def _go(runner: Runner, state: FlowState, *events: Any) -> tuple[FlowState, Result]:
    result = Result(state=state)
    for event in events:
        result = runner.handle(state, event)
        assert result.state is not None or event is events[-1]
        if result.state is not None:
            state = result.state
    return state, result


def _press(state: FlowState, action: str) -> Press:
    return Press(state.step, action)


def test_happy_path_to_summary_and_submit() -> None:
    runner = _runner()
    start = runner.start("tok")
    state = start.state
    assert state is not None and state.step == "kind"
    # Options travel by position and a tag of their id; no Back on the first step.
    water, lift = FakeContext().options(_flow().step("kind"), {})
    picks = [choices.pick_action(0, water), choices.pick_action(1, lift)]
    assert _buttons(start) == [*picks, "cancel"]
    state, _ = _go(runner, state, _press(state, picks[0]))
    assert state.step == "sub"
    for event in ("o:leak", "o:home"):
        state, _ = _go(runner, state, _press(state, event))
    state, _ = _go(runner, state, TextInput(" 1502 "))
    state, result = _go(runner, state, _press(state, "o:now"))
    assert result.replies[0].text == "CALL 110"  # the emergency note comes at once
    state, _ = _go(runner, state, TextInput("Water everywhere"))
    state, _ = _go(runner, state, PhotoInput("p1"), PhotoInput("p2"))
    assert state.answers["pics"] == ["p1", "p2"]
    state, result = _go(runner, state, _press(state, "done"))
    assert state.step == "end"
    assert "f.flat: 1502" in result.replies[-1].text
    final = runner.handle(state, _press(state, "submit"))
    assert final.state is None and final.outcome == "submitted"
    assert final.answers == {
        "kind": "water",
        "sub": "leak",
        "place": "home",
        "flat": "1502",
        "level": "now",
        "words": "Water everywhere",
        "pics": ["p1", "p2"],
    }


def test_empty_source_skipped_and_single_option_picked() -> None:
    runner = _runner()
    state = runner.start("tok").state
    assert state is not None
    state, _ = _go(runner, state, _press(state, "o:lift"))
    assert state.step == "place"  # lifts have no subcategories
    state, _ = _go(runner, state, _press(state, "o:street"))
    assert state.step == "level" and state.answers["spot"] == "gate"
    # Back goes to the last question actually asked, not to the auto-picked one.
    state, _ = _go(runner, state, _press(state, "back"))
    assert state.step == "place"


def test_back_keeps_answers_and_first_step_has_no_back() -> None:
    runner = _runner()
    state = runner.start("tok").state
    assert state is not None
    state, _ = _go(
        runner,
        state,
        _press(state, "o:water"),
    )
    state, _ = _go(runner, state, _press(state, "back"))
    assert state.step == "kind" and state.answers["kind"] == "water" and state.history == ()
    _, result = _go(runner, state, _press(state, "back"))
    assert result.replies[0].text == "flow.first_step"


def test_edit_from_summary_returns_to_summary_and_asks_only_what_changed() -> None:
    runner = _runner()
    state = runner.start("tok").state
    assert state is not None
    for event in ("o:water", "o:leak", "o:home"):
        state, _ = _go(runner, state, _press(state, event))
    state, _ = _go(
        runner,
        state,
        TextInput("1502"),
    )
    state, _ = _go(runner, state, _press(state, "o:soon"), TextInput("drip drip drip"))
    state, _ = _go(runner, state, _press(state, "skip"))
    assert state.step == "end" and state.answers["pics"] == []
    # Edit the description: one question, then straight back to the summary.
    state, result = _go(runner, state, _press(state, "edit"))
    assert "e:words" in _buttons(result) and "e:sub" in _buttons(result)
    state, _ = _go(runner, state, _press(state, "e:words"))
    assert state.step == "words" and state.editing
    state, _ = _go(runner, state, TextInput("now a flood!"))
    assert state.step == "end" and not state.editing
    # Change the place: the other branch's question is asked, stale answers are dropped.
    state, _ = _go(runner, state, _press(state, "e:place"), Press("place", "o:street"))
    assert state.step == "end" and state.answers["spot"] == "gate"
    final = runner.handle(state, _press(state, "submit"))
    assert "flat" not in final.answers and final.answers["place"] == "street"
    # Changing the kind invalidates the subcategory, which is asked again.
    state, _ = _go(runner, state, _press(state, "e:kind"), Press("kind", "o:lift"))
    assert state.step == "end" and "sub" not in state.answers


def test_bad_input_keeps_the_step() -> None:
    runner = _runner()
    state = runner.start("tok").state
    assert state is not None
    for event in (
        TextInput("banana"),
        OtherInput("sticker"),
        _press(state, "o:gas"),
        Press("words", "o:water"),
        _press(state, "submit"),
    ):
        result = runner.handle(state, event)
        assert result.state == state, event
        assert result.replies[-1].text.startswith("q.kind")
    # Typing a label or a number picks the option.
    assert runner.handle(state, TextInput("lift")).state.answers["kind"] == "lift"  # type: ignore[union-attr]
    assert runner.handle(state, TextInput("2")).state.answers["kind"] == "lift"  # type: ignore[union-attr]


def test_text_limits_and_photo_limits() -> None:
    runner = _runner()
    state = FlowState(flow="demo", step="words", token="t", answers={"kind": "water"})
    too_long = runner.handle(state, TextInput("x" * 10_000))
    assert too_long.state == state
    assert too_long.replies[0].text == "flow.too_long [('length', 10000), ('max', 50)]"
    assert runner.handle(state, TextInput("abc")).state == state
    assert runner.handle(state, TextInput("   ")).replies[0].text.startswith("flow.empty_text")
    # A photo sent before the photo step is kept for it.
    kept = runner.handle(state, PhotoInput("early"))
    assert kept.state is not None and kept.state.answers["pics"] == ["early"]
    pics = FlowState(flow="demo", step="pics", token="t", answers={"pics": ["a", "b", "c"]})
    full = runner.handle(pics, PhotoInput("d"))
    assert full.state == pics and full.replies[0].text.startswith("flow.photos_full")
    assert runner.handle(pics, PhotoInput("a")).state == pics  # the same photo twice counts once


def test_state_round_trips_through_json() -> None:
    runner = _runner()
    state = runner.start("tok", prefill={"place": "street", "spot": "gate"}).state
    assert state is not None
    assert FlowState.from_dict(yaml.safe_load(yaml.safe_dump(state.to_dict()))) == state


def test_prefilled_fields_are_skipped() -> None:
    runner = _runner()
    state = runner.start("tok", prefill={"place": "street", "spot": "gate"}).state
    assert state is not None
    state, _ = _go(runner, state, _press(state, "o:lift"))
    assert state.step == "level"  # place and spot came from the QR code


def test_cancel_ends_the_flow() -> None:
    runner = _runner()
    state = runner.start("tok").state
    assert state is not None
    result = runner.handle(state, _press(state, "cancel"))
    assert result.state is None and result.outcome == "cancelled"


class LongContext(FakeContext):
    """An estate of 60 buildings with long ids, as a big company's config may have."""

    def options(self, step: Step, answers: Mapping[str, Any]) -> Sequence[Option]:
        if step.source == "kinds":
            return [Option(f"building-{i:02d}-" + "x" * 40, f"Block {i}") for i in range(1, 61)]
        return super().options(step, answers)


def test_long_lists_page_and_any_id_fits_a_button() -> None:
    runner = Runner(_flow(), LongContext())
    first = runner.start("tok")
    state = first.state
    assert state is not None
    rows = first.replies[0].buttons
    labels = [b.label for row in rows for b in row]
    assert labels[:24] == [f"Block {i}" for i in range(1, 25)]
    assert labels[24:] == ["flow.btn_next_page", "flow.btn_cancel"]
    assert all(len(b.action) <= 12 for row in rows for b in row)  # whatever the id's length
    assert "flow.page [('count', 60), ('page', 1), ('pages', 3)]" in first.replies[0].text
    # More ▸ shows the next page on the same message and answers nothing.
    turned = runner.handle(state, _press(state, choices.page_action(2)))
    assert (turned.state, turned.changed, turned.replies) == (state, False, ())
    last = [b.label for row in turned.echo_buttons for b in row]
    assert last == [*(f"Block {i}" for i in range(49, 61)), "flow.btn_prev_page", "flow.btn_cancel"]
    block_55 = next(b for row in turned.echo_buttons for b in row if b.label == "Block 55")
    picked = runner.handle(state, _press(state, block_55.action))
    assert picked.state is not None and picked.state.answers["kind"].startswith("building-55-")
    # Typing the number or the name works from any page.
    for typed in ("55", "block 55"):
        typed_pick = runner.handle(state, TextInput(typed))
        assert typed_pick.state is not None
        assert typed_pick.state.answers["kind"] == picked.state.answers["kind"]


def test_a_button_of_a_changed_list_is_stale_and_old_buttons_still_work() -> None:
    runner = _runner()
    state = runner.start("tok").state
    assert state is not None
    _, lift = FakeContext().options(_flow().step("kind"), {})
    moved = choices.pick_action(0, lift)  # the list was reordered since the button was sent
    stale = runner.handle(state, _press(state, moved))
    assert stale.state == state and stale.replies[0].text == "flow.stale_button"
    for action in ("i:7.0000", "i:x.1", "pg:x", "i:"):
        assert runner.handle(state, _press(state, action)).state == state
    legacy = runner.handle(state, _press(state, "o:lift"))  # sent before options were numbered
    assert legacy.state is not None and legacy.state.answers["kind"] == "lift"
