"""The flow loader reports every problem of a broken flow file, naming file and step."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.flow import FlowError, load_flow, load_flows
from bot.core.sources import SOURCE_NAMES
from bot.texts import default_catalog

ROOT = Path(__file__).resolve().parent.parent
CATALOG = default_catalog()


def _load(tmp_path: Path, text: str) -> FlowError:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flow(path, sources=SOURCE_NAMES, has_text=CATALOG.missing)
    return caught.value


def test_shipped_flows_load() -> None:
    flows = load_flows(ROOT / "flows", sources=SOURCE_NAMES, has_text=CATALOG.missing)
    intake = flows["intake"]
    assert intake.start == "description" and intake.card
    assert intake.step("summary").type == "summary"
    assert intake.step("summary").edit == ("description", "category", "urgency", "place", "photos")
    assert intake.step("phone").type == "contact"
    assert intake.step("category").propose == "category"
    assert intake.step("area_building").field == "building"


def test_unknown_next_unreachable_and_missing_summary(tmp_path: Path) -> None:
    err = _load(
        tmp_path,
        """
id: demo
start: category
steps:
  - id: category
    type: choice
    source: categories
    ask: intake.ask_category
    next: nowhere
  - id: orphan
    type: text
    ask: intake.ask_unit
    next: category
""",
    )
    assert (
        "broken.yaml: step 'category': next 'nowhere' is not a step of flow 'demo'"
        " (steps: category, orphan)" in err.errors
    )
    assert (
        "broken.yaml: step 'orphan' in flow 'demo' cannot be reached from the start step"
        " 'category' (point a 'next' at it or remove it)" in err.errors
    )
    assert (
        "broken.yaml: flow 'demo' never ends: add a summary step or a 'next: _submit'" in err.errors
    )


def test_missing_texts_and_unknown_source(tmp_path: Path) -> None:
    err = _load(
        tmp_path,
        """
id: demo
start: a
steps:
  - id: a
    type: choice
    source: estatez
    ask: intake.no_such_question
    next: b
  - id: b
    type: choice
    options: [yes, maybe]
    ask: intake.ask_where
    next: s
  - id: s
    type: summary
    ask: intake.summary
""",
    )
    assert (
        "broken.yaml: step 'a': unknown option source 'estatez' (known: "
        + ", ".join(SOURCE_NAMES)
        + ")"
    ) in err.errors
    assert (
        "broken.yaml: step 'a': text 'intake.no_such_question' is missing in"
        " zh-Hans, zh-Hant, en" in err.errors
    )
    assert (
        "broken.yaml: step 'b': text 'intake.ask_where.maybe' is missing in"
        " zh-Hans, zh-Hant, en" in err.errors
    )
    assert "broken.yaml: step 'b': options[0] must be text; quote it: 'True'" in err.errors


def test_bad_shapes(tmp_path: Path) -> None:
    err = _load(
        tmp_path,
        """
id: demo
start: first
colour: blue
steps:
  - id: first
    type: dropdown
    ask: intake.ask_unit
    next: s
  - id: Bad Id
    type: text
  - id: t
    type: text
    ask: intake.ask_unit
    limit: height
    next:
      - if: {where: unit}
        goto: s
  - id: s
    type: summary
    ask: intake.summary
    edit: [nowhere]
    next: first
  - id: u
    type: text
    ask: intake.ask_unit
    propose: place
    next: s
""",
    )
    errors = "\n".join(err.errors)
    assert "unknown key 'colour'" in errors
    assert (
        "step 'first': type 'dropdown' is unknown (use one of choice, multi, text,"
        " message, photos, contact, summary)" in errors
    )
    assert "steps[1].id: 'Bad Id' must be 1-16 lower-case letters" in errors
    assert "step 't': unknown limit 'height'" in errors
    assert "step 't': the last arm of 'next' must have no 'if' (the default)" in errors
    assert "step 'u': propose 'place' needs a choice step and one of category" in errors
    assert "step 's': edit names 'nowhere', which is not a step of flow 'demo'" in errors
    assert "start step 'first' is not a step" in errors


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    err = _load(tmp_path, "id: demo\nsteps:\n  - id: a\n    type: [unclosed\n")
    assert err.errors[0].startswith("broken.yaml:5: not valid YAML") or err.errors[0].startswith(
        "broken.yaml:4: not valid YAML"
    )


def test_duplicate_flow_ids_across_files(tmp_path: Path) -> None:
    source = (ROOT / "flows" / "intake.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(source, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(source, encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows(tmp_path, sources=SOURCE_NAMES, has_text=CATALOG.missing)
    assert caught.value.errors == ["b.yaml: flow id 'intake' is also used by another file"]
