"""Conversation flows as data: the model of a flow file and its loader/validator.

A flow is a list of steps. Each step collects one field (a choice, a text, photos) or shows a
summary; ``next`` names the following step, optionally through conditions on earlier answers.
The loader checks a flow like a compiler would and reports every problem with the file and step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

StepType = Literal["choice", "multi", "text", "message", "photos", "contact", "summary"]
STEP_TYPES: tuple[str, ...] = (
    "choice",
    "multi",
    "text",
    "message",
    "photos",
    "contact",
    "summary",
)
# A ``next`` that ends the flow at once, submitting the answers without a summary.
FINISH = "_submit"
STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
# Conversation-level limits a flow may refer to by name; the values live in config.yaml.
LIMIT_NAMES: tuple[str, ...] = ("description", "unit", "detail", "photos", "photo", "notice")
# What a choice step's ``propose`` may name: the context guesses the answer from earlier ones
# (the subject from the description's keywords, the urgency from it, a remembered home).
PROPOSALS: tuple[str, ...] = ("category", "subcategory", "urgency", "place")
# What a step's ``check`` may name: the context judges each answer as it is given (and may
# keep it in another form); a refused one is explained and the step asked again.
CHECKS: tuple[str, ...] = ("notice",)


@dataclass(frozen=True)
class Branch:
    """One arm of a conditional ``next``: go to ``goto`` when every condition holds."""

    goto: str
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, answers: Mapping[str, Any]) -> bool:
        """True when each named field's answer is one of the listed values."""
        return all(str(answers.get(k)) in vals for k, vals in self.when.items())


@dataclass(frozen=True)
class Step:
    """One step of a flow."""

    id: str
    type: StepType
    field: str
    ask: str
    next: tuple[Branch, ...]
    source: str | None = None
    options: tuple[str, ...] = ()
    optional: bool = False
    skip_if_empty: bool = False
    auto_pick_single: bool = False
    limit: str | None = None
    columns: int = 1
    label: str | None = None
    propose: str | None = None  # a name from PROPOSALS: answered by a guess until changed
    hidden: bool = False  # not a line of the summary (its answer shows through other steps)
    edit: tuple[str, ...] = ()  # a summary's one-tap edit buttons, by step id
    check: str | None = None  # a name from CHECKS: each answer judged as it is given
    typed: bool = False  # a choice step that also takes a typed answer no option matches

    def next_step(self, answers: Mapping[str, Any]) -> str | None:
        """The id of the step that follows, given the answers so far."""
        for branch in self.next:
            if branch.matches(answers):
                return branch.goto
        return None


@dataclass(frozen=True)
class Flow:
    """A validated flow: its steps by id, in file order."""

    id: str
    start: str
    steps: Mapping[str, Step]
    path: Path
    card: bool = False  # one message edited in place shows the answers so far and the question

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError if the flow has none)."""
        return self.steps[step_id]


class FlowError(Exception):
    """A flow file is invalid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


# `has_text(key) -> missing languages` lets the validator check texts without importing them.
TextCheck = Callable[[str], list[str]]


def load_flow(path: Path, *, sources: tuple[str, ...], has_text: TextCheck) -> Flow:
    """Read and validate one flow file; raise FlowError naming every problem."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FlowError([f"{name}: cannot read: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise FlowError([f"{name}{where}: not valid YAML: {exc}"]) from exc
    return parse_flow(raw, path, sources=sources, has_text=has_text)


def load_flows(
    directory: Path, *, sources: tuple[str, ...], has_text: TextCheck
) -> dict[str, Flow]:
    """Load every ``*.yaml`` flow in a directory; raise FlowError with all files' problems."""
    flows: dict[str, Flow] = {}
    errors: list[str] = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise FlowError([f"{directory}: no flow files (*.yaml) found"])
    for path in files:
        try:
            flow = load_flow(path, sources=sources, has_text=has_text)
        except FlowError as exc:
            errors.extend(exc.errors)
            continue
        if flow.id in flows:
            errors.append(f"{path.name}: flow id '{flow.id}' is also used by another file")
        flows[flow.id] = flow
    if errors:
        raise FlowError(errors)
    return flows


def parse_flow(raw: Any, path: Path, *, sources: tuple[str, ...], has_text: TextCheck) -> Flow:
    """Build a Flow from parsed YAML, collecting every error before raising."""
    name = path.name
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise FlowError([f"{name}: a flow file must be a mapping with 'id', 'start' and 'steps'"])
    for key in raw:
        if key not in ("id", "start", "steps", "card"):
            errors.append(f"{name}: unknown key '{key}' (allowed: id, start, steps, card)")
    if not isinstance(raw.get("card", False), bool):
        errors.append(f"{name}: 'card' must be true or false")
    flow_id = raw.get("id")
    if not isinstance(flow_id, str) or not flow_id:
        errors.append(f"{name}: 'id' is missing (give the flow a name, e.g. id: intake)")
        flow_id = path.stem
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise FlowError([*errors, f"{name}: 'steps' must be a non-empty list of steps"])
    steps: dict[str, Step] = {}
    for index, item in enumerate(raw_steps):
        step = _parse_step(item, index, name, sources, has_text, errors)
        if step is None:
            continue
        if step.id in steps:
            errors.append(f"{name}: step '{step.id}' is defined twice (step ids must be unique)")
        steps[step.id] = step
    start = raw.get("start")
    if not isinstance(start, str) or start not in steps:
        errors.append(
            f"{name}: start step '{start}' is not a step of flow '{flow_id}'"
            f" (steps: {', '.join(steps)})"
        )
    else:
        errors.extend(_check_graph(name, flow_id, start, steps))
    for step in steps.values():
        errors += [
            f"{name}: step '{step.id}': edit names '{target}', which is not a step of flow"
            f" '{flow_id}'"
            for target in step.edit
            if target not in steps
        ]
    if errors:
        raise FlowError(errors)
    card = raw.get("card") is True
    return Flow(id=flow_id, start=str(start), steps=steps, path=path, card=card)


_STEP_KEYS = {
    "id",
    "type",
    "field",
    "ask",
    "next",
    "source",
    "options",
    "optional",
    "skip_if_empty",
    "auto_pick_single",
    "limit",
    "columns",
    "label",
    "propose",
    "hidden",
    "edit",
    "check",
    "typed",
}


def _parse_step(
    item: Any,
    index: int,
    name: str,
    sources: tuple[str, ...],
    has_text: TextCheck,
    errors: list[str],
) -> Step | None:
    """Parse one step entry, appending problems to ``errors``."""
    if not isinstance(item, dict):
        errors.append(f"{name}: steps[{index}] must be a mapping with at least 'id' and 'type'")
        return None
    step_id = item.get("id")
    if not isinstance(step_id, str) or not STEP_ID.match(step_id):
        errors.append(
            f"{name}: steps[{index}].id: '{step_id}' must be 1-16 lower-case letters, digits"
            " or _ (it travels in button data)"
        )
        return None
    where = f"{name}: step '{step_id}'"
    for key in item:
        if key not in _STEP_KEYS:
            allowed = ", ".join(sorted(_STEP_KEYS))
            errors.append(f"{where}: unknown key '{key}' (allowed: {allowed})")
    step_type = item.get("type")
    if step_type not in STEP_TYPES:
        known = ", ".join(STEP_TYPES)
        errors.append(f"{where}: type '{step_type}' is unknown (use one of {known})")
        return None
    ask = item.get("ask")
    if not isinstance(ask, str):
        errors.append(f"{where}: 'ask' (the text key of the question) is missing")
        ask = ""
    else:
        _check_text(where, ask, has_text, errors)
    label = item.get("label")
    if label is not None:
        _check_text(where, str(label), has_text, errors)
    source = item.get("source")
    raw_options = item.get("options") or ()
    options = tuple(str(o) for o in raw_options)
    for i, option in enumerate(raw_options):
        if not isinstance(option, str):
            # YAML reads yes/no/on/off as booleans and 1 as a number; ids must stay text.
            errors.append(f"{where}: options[{i}] must be text; quote it: '{option}'")
    if step_type in ("choice", "multi"):
        if (source is None) == (not options):
            errors.append(f"{where}: a {step_type} step needs exactly one of 'source' or 'options'")
        if source is not None and source not in sources:
            errors.append(
                f"{where}: unknown option source '{source}' (known: {', '.join(sources)})"
            )
        for option in options:
            _check_text(where, f"{ask}.{option}", has_text, errors)
    elif source is not None or options:
        errors.append(f"{where}: only choice and multi steps take 'source' or 'options'")
    limit = item.get("limit")
    if limit is not None and limit not in LIMIT_NAMES:
        errors.append(f"{where}: unknown limit '{limit}' (known: {', '.join(LIMIT_NAMES)})")
    columns = item.get("columns", 1)
    if not isinstance(columns, int) or not 1 <= columns <= 4:
        errors.append(f"{where}: columns must be 1 to 4")
        columns = 1
    propose = item.get("propose")
    if propose is not None and (step_type != "choice" or propose not in PROPOSALS):
        errors.append(
            f"{where}: propose '{propose}' needs a choice step and one of {', '.join(PROPOSALS)}"
        )
    check = item.get("check")
    if check is not None and check not in CHECKS:
        errors.append(f"{where}: check '{check}' is unknown (known: {', '.join(CHECKS)})")
    typed = item.get("typed", False) is True
    if typed and (step_type != "choice" or check is None):
        errors.append(f"{where}: 'typed' needs a choice step with a 'check' for typed answers")
    raw_edit = item.get("edit") or []
    if raw_edit and (step_type != "summary" or not isinstance(raw_edit, list)):
        errors.append(f"{where}: 'edit' is a list of step ids on a summary step")
        raw_edit = []
    branches = _parse_next(item.get("next"), where, step_type, errors)
    return Step(
        id=step_id,
        type=step_type,
        field=str(item.get("field") or step_id),
        ask=ask,
        next=branches,
        source=source,
        options=options,
        optional=bool(item.get("optional", False)),
        skip_if_empty=bool(item.get("skip_if_empty", False)),
        auto_pick_single=bool(item.get("auto_pick_single", False)),
        limit=limit,
        columns=columns,
        label=None if label is None else str(label),
        propose=None if propose is None else str(propose),
        hidden=bool(item.get("hidden", False)),
        edit=tuple(str(e) for e in raw_edit),
        check=None if check is None else str(check),
        typed=typed,
    )


def _check_text(where: str, key: str, has_text: TextCheck, errors: list[str]) -> None:
    """Report a text key that some language catalog lacks."""
    missing = has_text(key)
    if missing:
        errors.append(f"{where}: text '{key}' is missing in {', '.join(missing)}")


def _parse_next(raw: Any, where: str, step_type: str, errors: list[str]) -> tuple[Branch, ...]:
    """Parse ``next``: a step id, or a list of ``{if: {field: value(s)}, goto: step}``."""
    if raw is None:
        if step_type != "summary":
            errors.append(
                f"{where}: 'next' is missing (end a flow with a summary step or next: {FINISH})"
            )
        return ()
    if isinstance(raw, str):
        return (Branch(goto=raw),)
    if not isinstance(raw, list):
        errors.append(f"{where}: 'next' must be a step id or a list of {{if, goto}} branches")
        return ()
    branches: list[Branch] = []
    for i, arm in enumerate(raw):
        if not isinstance(arm, dict) or not isinstance(arm.get("goto"), str):
            errors.append(f"{where}: next[{i}] needs 'goto: <step id>'")
            continue
        cond = arm.get("if") or {}
        if not isinstance(cond, dict):
            errors.append(f"{where}: next[{i}].if must map a field to a value or list of values")
            continue
        when = {
            str(k): tuple(str(v) for v in (vals if isinstance(vals, list) else [vals]))
            for k, vals in cond.items()
        }
        branches.append(Branch(goto=arm["goto"], when=when))
    if branches and branches[-1].when:
        errors.append(f"{where}: the last arm of 'next' must have no 'if' (the default)")
    return tuple(branches)


def _check_graph(name: str, flow_id: str, start: str, steps: Mapping[str, Step]) -> list[str]:
    """Unknown targets, unreachable steps and a flow that never ends."""
    errors: list[str] = []
    for step in steps.values():
        for branch in step.next:
            if branch.goto not in steps and branch.goto != FINISH:
                errors.append(
                    f"{name}: step '{step.id}': next '{branch.goto}' is not a step of flow"
                    f" '{flow_id}' (steps: {', '.join(steps)})"
                )
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in seen or current not in steps:
            continue
        seen.add(current)
        todo.extend(b.goto for b in steps[current].next if b.goto != FINISH)
        todo.extend(steps[current].edit)  # a summary's edit button leads there too
    for step_id in steps:
        if step_id not in seen:
            errors.append(
                f"{name}: step '{step_id}' in flow '{flow_id}' cannot be reached from the start"
                f" step '{start}' (point a 'next' at it or remove it)"
            )
    ends = any(s.type == "summary" for s in steps.values()) or any(
        b.goto == FINISH for s in steps.values() for b in s.next
    )
    if not ends:
        errors.append(
            f"{name}: flow '{flow_id}' never ends: add a summary step or a 'next: {FINISH}'"
        )
    return errors
