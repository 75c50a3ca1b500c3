"""The question a flow step asks, with its buttons: choices (a page at a time), texts, photos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import card, choices
from bot.core.flow import Step
from bot.core.flowdata import Button, FlowState, Reply

if TYPE_CHECKING:
    from bot.core.runner import Runner

BACK, SKIP, DONE, CLEAR, CANCEL = "back", "skip", "done", "clear", "cancel"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def question(runner: Runner, state: FlowState, page: int) -> Reply:
    """The current step's question and buttons (``page`` of a long list)."""
    step = runner.flow.step(state.step)
    nav = navigation(runner, state, step)
    if step.type == "choice":
        options = runner.options_of(step, state.answers)
        page, start, shown = choices.window(options, page)
        lines = [runner.ctx.text(step.ask)]
        hints = [f"• {o.label}: {o.hint}" for o in shown if o.hint]
        if hints:
            lines.append("\n".join(hints))
        lines.extend(choices.page_note(runner.ctx.text, len(options), page))
        buttons = [Button(o.label, choices.pick_action(start + i, o)) for i, o in enumerate(shown)]
        pager = choices.pager(runner.ctx.text, len(options), page)
        return Reply("\n\n".join(lines), (*choices.rows(buttons, step.columns), *pager, *nav))
    if step.type == "multi":
        picked = set(state.answers.get(step.field) or ())
        options = runner.options_of(step, state.answers)
        page, start, shown = choices.window(options, page)
        rows = choices.rows(
            [
                Button(
                    ("✅ " if o.id in picked else "▫️ ") + o.label,
                    choices.pick_action(start + i, o),
                )
                for i, o in enumerate(shown)
            ],
            step.columns,
        )
        done = (Button(runner.ctx.text("flow.btn_done", count=len(picked)), DONE),)
        text = "\n".join(
            [
                runner.ctx.text(step.ask),
                runner.ctx.text("flow.pick_several"),
                *choices.page_note(runner.ctx.text, len(options), page),
            ]
        )
        pager = choices.pager(runner.ctx.text, len(options), page)
        return Reply(text, (*rows, *pager, done, *nav))
    if step.type in ("text", "message"):
        _, high = runner.ctx.limits(step.limit)
        text = runner.ctx.text(step.ask) + "\n" + runner.ctx.text("flow.text_limit", max=high)
        current = state.answers.get(step.field)
        if state.editing and current:
            text += "\n\n" + runner.ctx.text("flow.current", value=_clip(str(current), 300))
        return Reply(text, nav)
    if step.type == "photos":
        count = len(state.answers.get(step.field) or [])
        _, high = runner.ctx.limits(step.limit)
        text = (
            runner.ctx.text(step.ask, max=high)
            + "\n"
            + runner.ctx.text("flow.photos_count", count=count, max=high)
        )
        return Reply(text, nav)
    if step.type == "contact":
        share, skip = runner.ctx.text("flow.btn_share_contact"), runner.ctx.text("flow.btn_skip")
        return Reply(runner.ctx.text(step.ask), (), contact=(share, skip))
    return card.summary(runner, state)


def navigation(runner: Runner, state: FlowState, step: Step) -> tuple[tuple[Button, ...], ...]:
    """Skip/Done/Clear, then Back and Cancel."""
    first: list[Button] = []
    if step.type == "photos":
        count = len(state.answers.get(step.field) or [])
        if count:
            first.append(Button(runner.ctx.text("flow.btn_done", count=count), DONE))
            first.append(Button(runner.ctx.text("flow.btn_clear"), CLEAR))
        elif step.optional:
            first.append(Button(runner.ctx.text("flow.btn_no_photos"), SKIP))
    elif step.optional and step.type != "multi":  # a multi step's Done (0) is its skip
        first.append(Button(runner.ctx.text("flow.btn_skip"), SKIP))
    second = []
    if state.history:
        second.append(Button(runner.ctx.text("flow.btn_back"), BACK))
    second.append(Button(runner.ctx.text("flow.btn_cancel"), CANCEL))
    return tuple(row for row in (tuple(first), tuple(second)) if row)
