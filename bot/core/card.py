"""A card flow's pieces: the answers so far on one message, guessed answers, partial matches.

A card flow (``card: true`` in its file) shows one message that is edited in place: the answers
given or guessed so far, any safety notes they bring, and the current question under them.
Steps with ``propose`` are answered by a guess (the context's ``propose``) until the person
answers them; a guess follows the answers it came from, an answer stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.core.flow import FINISH, Step
from bot.core.flowdata import Button, FlowState, Option, Reply

if TYPE_CHECKING:
    from bot.core.runner import Runner

SUBMIT, EDIT, CANCEL = "submit", "edit", "cancel"


def apply_sets(
    state: FlowState, answer: Mapping[str, Any], sets: Mapping[str, Any]
) -> tuple[dict[str, Any], frozenset[str], frozenset[str]]:
    """(answers, locked, proposed) after one answer and the other answers its option sets:
    set ones are kept (locked) like a QR code's, removed ones are asked, not guessed, again."""
    answers = {**state.answers, **answer}
    locked, proposed = set(state.locked), set(state.proposed)
    for key, value in sets.items():
        if value is None:
            answers.pop(key, None)
            locked.discard(key)
            proposed.discard(key)
        else:
            answers[key] = value
            locked.add(key)
    return answers, frozenset(locked), frozenset(proposed)


def propose(
    runner: Runner,
    step: Step,
    answers: dict[str, Any],
    locked: set[str],
    proposed: set[str],
    editing: bool,
) -> bool:
    """Answer a step with the context's guess (True: the step is answered and skipped)."""
    if step.propose is None or step.type != "choice":
        return False
    field = step.field
    given = field in answers and field not in proposed
    if (field in locked or given) and runner.valid(step, answers):
        return False  # the person's own answer (or a QR code's) stays
    if editing and field not in proposed:
        return False  # the person is changing things: only earlier guesses are redone
    value = runner.ctx.propose(step.propose, answers)
    options = runner.options_of(step, answers)
    option = next((o for o in options if value is not None and o.id == value), None)
    if option is None:
        if field in proposed:
            answers.pop(field, None)  # an old guess that no longer fits
            proposed.discard(field)
        return False
    if answers.get(field) == option.id:
        proposed.add(field)
        return True  # the same guess: what it set stays as it is (a flat typed since)
    answers[field] = option.id
    for key, set_value in option.sets.items():
        if set_value is None:
            answers.pop(key, None)  # guessed again, or asked, when its step comes
            locked.discard(key)
        else:
            answers[key] = set_value
            locked.add(key)
    proposed.add(field)
    return True


def match_option(
    runner: Runner, step: Step, answers: Mapping[str, Any], text: str
) -> Option | None:
    """The option typed text names: its number, its label or id, a unique part of a label
    ("漏水" for "爆水管或漏水"), or the guess the text's words give."""
    options = runner.options_of(step, answers)
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    folded = text.casefold()
    for option in options:
        if option.label.casefold() == folded or option.id.casefold() == folded:
            return option
    if len(folded) >= 2:
        partial = [o for o in options if folded in o.label.casefold() or _core(o.label) in folded]
        if len(partial) == 1:
            return partial[0]
    if step.propose is not None:
        guess = runner.ctx.propose(step.propose, answers, text)
        return next((o for o in options if guess is not None and o.id == guess), None)
    return None


def _core(label: str) -> str:
    """A label without its emoji and suffixes, for finding it inside a sentence."""
    core = label.split("（")[0].split("(")[0].strip().casefold()
    core = "".join(ch for ch in core if ch.isalnum() or ch == " ").strip()
    return core if len(core) >= 2 else "\0"


def header(runner: Runner, state: FlowState) -> str:
    """The answers so far (one line per label, several answers of a label on one line), the
    photos, then the notes the chosen options bring (safety advice, the hotline)."""
    lines: list[tuple[str, list[str]]] = []
    notes: list[str] = []
    for step in runner.path(state.answers):
        if step.type == "summary" or step.field not in state.answers:
            continue
        if step.type == "choice":
            chosen = state.answers.get(step.field)
            option = next(
                (o for o in runner.options_of(step, state.answers) if o.id == chosen), None
            )
            if option is not None and option.note and not any(option.note in n for n in notes):
                notes.append(option.note)
        if step.hidden or not step.label or step.id == state.step:
            continue
        value = runner.describe(step, state.answers)
        if not value or value == "—":
            continue
        label = runner.ctx.text(step.label)
        if lines and lines[-1][0] == label:
            lines[-1][1].append(value)
        else:
            lines.append((label, [value]))
    text = [
        f"{label}：{' · '.join(values)}" if _cjk(label) else f"{label}: {' · '.join(values)}"
        for label, values in lines
    ]
    photos = [
        p
        for s in runner.flow.steps.values()
        if s.type == "photos"
        for p in state.answers.get(s.field) or []
    ]
    if photos:
        text.append(runner.ctx.text("flow.photos_summary", count=len(photos)).join(("📷 ", "")))
    if notes:
        text.append("")
        text.extend(notes)
    return "\n".join(text).strip()


def _cjk(label: str) -> bool:
    """Chinese labels take a full-width colon."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in label)


def summary(runner: Runner, state: FlowState) -> Reply:
    """The summary: every answer, Submit, an edit button per field (or one Edit), Cancel."""
    step = runner.flow.step(state.step)
    ctx = runner.ctx
    if runner.flow.card:
        text = f"{ctx.text(step.ask)}\n\n{header(runner, state)}"
    else:
        lines = [ctx.text(step.ask), ""]
        for s in runner.path(state.answers):
            if s.label and s.field in state.answers and s.type != "summary":
                lines.append(f"{ctx.text(s.label)}: {runner.describe(s, state.answers)}")
        text = "\n".join(lines)
    submit = (Button(ctx.text("flow.btn_submit"), SUBMIT),)
    cancel = Button(ctx.text("flow.btn_cancel"), CANCEL)
    if not step.edit:
        return Reply(text, (submit, (Button(ctx.text("flow.btn_edit"), EDIT), cancel)))
    targets = [runner.flow.step(t) for t in step.edit if t in edit_targets(runner, state)]
    buttons = [Button("✏️ " + ctx.text(t.label or t.ask), f"e:{t.id}") for t in targets]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return Reply(text, (submit, *rows, (cancel,)))


def edit_targets(runner: Runner, state: FlowState) -> set[str]:
    """The steps a summary's edit buttons may open now: those on the answers' path, and those
    only an edit button leads to (photos)."""
    wanted = {t for s in runner.flow.steps.values() for t in s.edit}
    led_to = {b.goto for s in runner.flow.steps.values() for b in s.next}
    on_path = {s.id for s in runner.path(state.answers)}
    return {t for t in wanted if t in on_path or t not in led_to}


def edit_fields(runner: Runner) -> set[str]:
    """Fields of steps only an edit button leads to: kept in the final answers."""
    led_to = {b.goto for s in runner.flow.steps.values() for b in s.next}
    return {
        runner.flow.step(t).field
        for s in runner.flow.steps.values()
        for t in s.edit
        if t not in led_to
    }


def done(runner: Runner, state: FlowState) -> str:
    """What the summary message shows once submitted."""
    if not runner.flow.card:
        return summary(runner, state).text
    return f"{runner.ctx.text('flow.card_sent')}\n\n{header(runner, state)}"


def after_summary(runner: Runner, state: FlowState) -> FlowState | None:
    """The step after a summary still to be asked (its answer not kept), or None to submit."""
    step = runner.flow.step(state.step)
    nxt = step.next_step(state.answers) if step.next else None
    while nxt is not None and nxt != FINISH:
        following = runner.flow.step(nxt)
        if following.field in state.locked and runner.valid(following, state.answers):
            nxt = following.next_step(state.answers)
            continue
        return replace(state, step=nxt, history=(*state.history, state.step), editing=False)
    return None
