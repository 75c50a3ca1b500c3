"""The flow runner: (flow, state, event) → new state and replies. Pure: no Telegram, no SQL.

The state is plain data (``FlowState.to_dict``) so the store can write it after every step and
a restart resumes exactly where the person was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.core import choices
from bot.core.flow import FINISH, Flow, Step
from bot.core.flowdata import (
    Button,
    Event,
    FlowContext,
    FlowState,
    Option,
    OtherInput,
    PhotoInput,
    Press,
    Reply,
    Result,
    TextInput,
)

# Callers import the flow's data types from here, as before they had a module of their own.
__all__ = [
    "Button",
    "Event",
    "FlowContext",
    "FlowState",
    "Option",
    "OtherInput",
    "PhotoInput",
    "Press",
    "Reply",
    "Result",
    "Runner",
    "TextInput",
]

# Button actions. Options travel as "i:<index>.<tag>" (see choices), edit targets as "e:<step>".
BACK, SKIP, DONE, CLEAR, SUBMIT, EDIT, SUMMARY, CANCEL = (
    "back",
    "skip",
    "done",
    "clear",
    "submit",
    "edit",
    "sum",
    "cancel",
)


class Runner:
    """Runs one flow for one person in one language."""

    def __init__(self, flow: Flow, ctx: FlowContext) -> None:
        self.flow = flow
        self.ctx = ctx

    # ----- entry points -------------------------------------------------------------------

    def start(self, token: str, prefill: Mapping[str, Any] | None = None) -> Result:
        """Begin the flow; prefilled fields (e.g. a QR code's location) are skipped over."""
        answers = dict(prefill or {})
        state = FlowState(
            flow=self.flow.id,
            step=self.flow.start,
            token=token,
            answers=answers,
            locked=frozenset(answers),
        )
        state = self._settle(state)
        return Result(state=state, replies=(self.prompt(state),))

    def handle(self, state: FlowState, event: Event) -> Result:
        """Apply one event to the state."""
        step = self.flow.step(state.step)
        if isinstance(event, Press):
            return self._press(state, step, event)
        if isinstance(event, TextInput):
            return self._text(state, step, event.text)
        if isinstance(event, PhotoInput):
            if step.type == "message":
                return self._message(state, step, event.caption, event.file_id)
            return self._photo(state, step, event.file_id)
        return self._refuse(state, self._unsupported(event.kind))

    def prompt(self, state: FlowState, page: int = 0) -> Reply:
        """The question of the current step, with its buttons (``page`` of a long list)."""
        step = self.flow.step(state.step)
        nav = self._nav(state, step)
        if step.type == "choice":
            options = self._options(step, state.answers)
            page, start, shown = choices.window(options, page)
            lines = [self.ctx.text(step.ask)]
            hints = [f"• {o.label}: {o.hint}" for o in shown if o.hint]
            if hints:
                lines.append("\n".join(hints))
            lines.extend(choices.page_note(self.ctx.text, len(options), page))
            buttons = [
                Button(o.label, choices.pick_action(start + i, o)) for i, o in enumerate(shown)
            ]
            pager = choices.pager(self.ctx.text, len(options), page)
            return Reply("\n\n".join(lines), (*choices.rows(buttons, step.columns), *pager, *nav))
        if step.type == "multi":
            picked = set(state.answers.get(step.field) or ())
            options = self._options(step, state.answers)
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
            done = (Button(self.ctx.text("flow.btn_done", count=len(picked)), DONE),)
            text = "\n".join(
                [
                    self.ctx.text(step.ask),
                    self.ctx.text("flow.pick_several"),
                    *choices.page_note(self.ctx.text, len(options), page),
                ]
            )
            pager = choices.pager(self.ctx.text, len(options), page)
            return Reply(text, (*rows, *pager, done, *nav))
        if step.type in ("text", "message"):
            _, high = self.ctx.limits(step.limit)
            text = self.ctx.text(step.ask) + "\n" + self.ctx.text("flow.text_limit", max=high)
            current = state.answers.get(step.field)
            if state.editing and current:
                text += "\n\n" + self.ctx.text("flow.current", value=_clip(str(current), 300))
            return Reply(text, nav)
        if step.type == "photos":
            count = len(state.answers.get(step.field) or [])
            _, high = self.ctx.limits(step.limit)
            text = (
                self.ctx.text(step.ask, max=high)
                + "\n"
                + self.ctx.text("flow.photos_count", count=count, max=high)
            )
            return Reply(text, nav)
        return self._summary(state)

    # ----- events -------------------------------------------------------------------------

    def _press(self, state: FlowState, step: Step, event: Press) -> Result:
        if event.step != step.id:
            # A button from an earlier question: say so and show where they are now.
            return self._refuse(state, self.ctx.text("flow.stale_button"), changed=False)
        action = event.action
        if action == CANCEL:
            return Result(
                state=None,
                outcome="cancelled",
                echo=self.ctx.text("flow.cancelled"),
                replies=(),
            )
        if action == BACK:
            return self._back(state)
        if step.type == "summary":
            return self._summary_action(state, action)
        if step.type in ("choice", "multi"):
            page = choices.page_of(action)
            if page is not None:
                # Another page of the list, on the same message; nothing is answered yet.
                reply = self.prompt(state, page)
                return Result(
                    state=state, echo=reply.text, echo_buttons=reply.buttons, changed=False
                )
            if choices.is_pick(action):
                found = choices.picked(action, self._options(step, state.answers))
                if found is None:
                    return self._refuse(state, self.ctx.text("flow.stale_button"), changed=False)
                index, option = found
                if step.type == "choice":
                    return self._choose(state, step, option)
                return self._toggle(state, step, option, index)
        if action == DONE and step.type == "multi":
            picked = list(state.answers.get(step.field) or [])
            if not picked and not step.optional:
                return self._refuse(state, self.ctx.text("flow.pick_one"))
            labels = {o.id: o.label for o in self._options(step, state.answers)}
            chosen = ", ".join(labels.get(p, p) for p in picked) or self.ctx.text("flow.skipped")
            return self._answer(state, step, picked, echo=f"{self.ctx.text(step.ask)}\n✅ {chosen}")
        if action == SKIP and step.optional:
            empty: Any = [] if step.type == "photos" else ""
            return self._answer(state, step, empty, echo=self.ctx.text("flow.skipped"))
        if action == DONE and step.type == "photos":
            photos = list(state.answers.get(step.field) or [])
            if not photos and not step.optional:
                return self._refuse(state, self.ctx.text("flow.photos_needed"))
            return self._answer(
                state, step, photos, echo=self.ctx.text("flow.photos_done", count=len(photos))
            )
        if action == CLEAR and step.type == "photos":
            answers = {**state.answers, step.field: []}
            new = replace(state, answers=answers)
            cleared = self.ctx.text("flow.cleared")
            return Result(state=new, replies=(self.prompt(new),), echo=cleared)
        return self._refuse(state, self.ctx.text("flow.stale_button"), changed=False)

    def _text(self, state: FlowState, step: Step, raw: str) -> Result:
        text = raw.strip()
        if step.type == "multi":
            return self._refuse(state, self.ctx.text("flow.use_buttons"))
        if step.type == "choice":
            match = self._match_option(step, state.answers, text)
            if match is None:
                return self._refuse(state, self.ctx.text("flow.use_buttons"))
            return self._choose(state, step, match)
        if step.type == "message":
            return self._message(state, step, text, None)
        if step.type == "text":
            low, high = self.ctx.limits(step.limit)
            if len(text) > high:
                return self._refuse(
                    state, self.ctx.text("flow.too_long", length=len(text), max=high)
                )
            if len(text) < max(low, 1):
                key = "flow.too_short" if text else "flow.empty_text"
                return self._refuse(state, self.ctx.text(key, min=max(low, 1)))
            return self._answer(state, step, text)
        if step.type == "photos":
            return self._refuse(state, self.ctx.text("flow.photos_or_done"))
        return self._refuse(state, self.ctx.text("flow.summary_use_buttons"))

    def _toggle(self, state: FlowState, step: Step, option: Option, index: int) -> Result:
        """Pick or unpick one option of a multi step; the same message (page) is shown again."""
        picked = list(state.answers.get(step.field) or [])
        if option.id in picked:
            picked.remove(option.id)
        else:
            picked.append(option.id)
        new = replace(state, answers={**state.answers, step.field: picked})
        reply = self.prompt(new, choices.page_with(index))
        return Result(state=new, replies=(), echo=reply.text, echo_buttons=reply.buttons)

    def _message(self, state: FlowState, step: Step, text: str, photo: str | None) -> Result:
        """A message step takes text, or a photo with an optional caption."""
        text = text.strip()
        _, high = self.ctx.limits(step.limit)
        if len(text) > high:
            return self._refuse(state, self.ctx.text("flow.too_long", length=len(text), max=high))
        if not text and photo is None:
            return self._refuse(state, self.ctx.text("flow.empty_text", min=1))
        return self._answer(state, step, {"text": text, "photo": photo})

    def _photo(self, state: FlowState, step: Step, file_id: str) -> Result:
        photos_step = step if step.type == "photos" else self._photos_step()
        if photos_step is None:
            return self._refuse(state, self._unsupported("photo"))
        photos = list(state.answers.get(photos_step.field) or [])
        _, high = self.ctx.limits(photos_step.limit)
        if len(photos) >= high:
            return self._refuse(state, self.ctx.text("flow.photos_full", max=high))
        if file_id not in photos:
            photos.append(file_id)
        new = replace(state, answers={**state.answers, photos_step.field: photos})
        if step.type == "photos":
            return Result(state=new, replies=(self.prompt(new),))
        # A photo sent early is kept for the photo step rather than lost.
        note = self.ctx.text("flow.photo_kept", count=len(photos), max=high)
        return Result(state=new, replies=(Reply(note), self.prompt(new)))

    # ----- moves --------------------------------------------------------------------------

    def _choose(self, state: FlowState, step: Step, chosen: Option) -> Result:
        notes = (Reply(chosen.note),) if chosen.note else ()
        echo = f"{self.ctx.text(step.ask)}\n✅ {chosen.label}"
        return self._answer(state, step, chosen.id, echo=echo, notes=notes)

    def _answer(
        self,
        state: FlowState,
        step: Step,
        value: Any,
        *,
        echo: str | None = None,
        notes: tuple[Reply, ...] = (),
    ) -> Result:
        answers = {**state.answers, step.field: value}
        nxt = step.next_step(answers)
        assert nxt is not None, f"step {step.id} has no next for {answers}"  # validator ensures
        if nxt == FINISH:
            return Result(
                state=None,
                outcome="submitted",
                answers=self.final_answers(answers),
                echo=echo,
                replies=notes,
            )
        moved = replace(
            state,
            answers=answers,
            step=nxt,
            history=(*state.history, step.id),
            locked=state.locked - {step.field},
        )
        settled = self._settle(moved)
        return Result(state=settled, replies=(*notes, self.prompt(settled)), echo=echo)

    def _settle(self, state: FlowState) -> FlowState:
        """Skip steps that need no question: empty sources, single options, kept answers."""
        answers = dict(state.answers)
        step = self.flow.step(state.step)
        for _ in range(len(self.flow.steps) + 1):
            if step.type == "summary":
                break
            skip = False
            if step.type == "choice":
                options = self._options(step, answers)
                if not options and step.skip_if_empty:
                    answers.pop(step.field, None)
                    skip = True
                elif len(options) == 1 and step.auto_pick_single:
                    answers[step.field] = options[0].id
                    skip = True
            keep = state.editing or step.field in state.locked
            if not skip and keep and self._valid(step, answers):
                skip = True
            if not skip:
                break
            nxt = step.next_step(answers)
            if nxt is None or nxt == FINISH:
                break  # nothing left to skip to: ask this step after all
            step = self.flow.step(nxt)
        editing = state.editing and step.type != "summary"
        return replace(state, step=step.id, answers=answers, editing=editing)

    def _back(self, state: FlowState) -> Result:
        if not state.history:
            return self._refuse(state, self.ctx.text("flow.first_step"))
        previous = state.history[-1]
        new = replace(
            state,
            step=previous,
            history=state.history[:-1],
            editing=state.editing and previous != self._summary_id(),
        )
        return Result(state=new, replies=(self.prompt(new),), echo=self.ctx.text("flow.went_back"))

    def _summary_action(self, state: FlowState, action: str) -> Result:
        if action == SUBMIT:
            return Result(
                state=None,
                outcome="submitted",
                answers=self.final_answers(state.answers),
                echo=self.prompt(state).text,
            )
        if action == EDIT:
            return Result(state=state, replies=(self._edit_menu(state),), changed=False)
        if action == SUMMARY:
            return Result(state=state, replies=(self.prompt(state),), changed=False)
        if action.startswith("e:"):
            target = action[2:]
            editable = {s.id for s in self.path(state.answers) if s.label}
            if target not in editable:
                return self._refuse(state, self.ctx.text("flow.stale_button"), changed=False)
            new = replace(
                state,
                step=target,
                editing=True,
                history=(*state.history, state.step),
                locked=state.locked - {self.flow.step(target).field},
            )
            return Result(state=new, replies=(self.prompt(new),))
        return self._refuse(state, self.ctx.text("flow.stale_button"), changed=False)

    def _refuse(self, state: FlowState, message: str, *, changed: bool = False) -> Result:
        """Explain, and ask the current question again; the state stays as it was."""
        return Result(state=state, replies=(Reply(message), self.prompt(state)), changed=changed)

    # ----- summary ------------------------------------------------------------------------

    def path(self, answers: Mapping[str, Any]) -> list[Step]:
        """The steps the answers lead through, from the start to the summary."""
        steps: list[Step] = []
        current: str | None = self.flow.start
        while current is not None and len(steps) <= len(self.flow.steps):
            step = self.flow.step(current)
            steps.append(step)
            if step.type == "summary":
                break
            current = step.next_step(answers)
            if current == FINISH:
                break
        return steps

    def final_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers on the chosen path (a changed branch leaves stale ones behind), plus the
        context the flow was started with (fields no step asks for, e.g. the ticket)."""
        asked = {s.field for s in self.flow.steps.values()}
        fields = {s.field for s in self.path(answers)}
        return {k: v for k, v in answers.items() if k in fields or k not in asked}

    def describe(self, step: Step, answers: Mapping[str, Any]) -> str:
        """A person-readable rendering of one answer."""
        value = answers.get(step.field)
        if step.type == "choice":
            option = next((o for o in self._options(step, answers) if o.id == value), None)
            return option.label if option else "—"
        if step.type == "photos":
            return self.ctx.text("flow.photos_summary", count=len(value or []))
        if step.type == "multi":
            labels = {o.id: o.label for o in self._options(step, answers)}
            return ", ".join(labels.get(v, str(v)) for v in value or []) or "—"
        if step.type == "message" and isinstance(value, dict):
            photo = " 📷" if value.get("photo") else ""
            return _clip(str(value.get("text") or ""), 500) + photo
        return _clip(str(value), 500) if value else "—"

    def _summary(self, state: FlowState) -> Reply:
        step = self.flow.step(state.step)
        lines = [self.ctx.text(step.ask), ""]
        for s in self.path(state.answers):
            if s.label and s.field in state.answers and s.type != "summary":
                lines.append(f"{self.ctx.text(s.label)}: {self.describe(s, state.answers)}")
        buttons = (
            (Button(self.ctx.text("flow.btn_submit"), SUBMIT),),
            (
                Button(self.ctx.text("flow.btn_edit"), EDIT),
                Button(self.ctx.text("flow.btn_cancel"), CANCEL),
            ),
        )
        return Reply("\n".join(lines), buttons)

    def _edit_menu(self, state: FlowState) -> Reply:
        targets = [s for s in self.path(state.answers) if s.label and s.type != "summary"]
        rows = choices.rows([Button(self.ctx.text(s.label or ""), f"e:{s.id}") for s in targets], 2)
        back = (Button(self.ctx.text("flow.btn_to_summary"), SUMMARY),)
        return Reply(self.ctx.text("flow.edit_which"), (*rows, back))

    # ----- helpers ------------------------------------------------------------------------

    def _nav(self, state: FlowState, step: Step) -> tuple[tuple[Button, ...], ...]:
        first: list[Button] = []
        if step.type == "photos":
            count = len(state.answers.get(step.field) or [])
            if count:
                first.append(Button(self.ctx.text("flow.btn_done", count=count), DONE))
                first.append(Button(self.ctx.text("flow.btn_clear"), CLEAR))
            elif step.optional:
                first.append(Button(self.ctx.text("flow.btn_no_photos"), SKIP))
        elif step.optional and step.type != "multi":  # a multi step's Done (0) is its skip
            first.append(Button(self.ctx.text("flow.btn_skip"), SKIP))
        second = []
        if state.history:
            second.append(Button(self.ctx.text("flow.btn_back"), BACK))
        second.append(Button(self.ctx.text("flow.btn_cancel"), CANCEL))
        return tuple(row for row in (tuple(first), tuple(second)) if row)

    def _options(self, step: Step, answers: Mapping[str, Any]) -> Sequence[Option]:
        return self.ctx.options(step, answers)

    def _valid(self, step: Step, answers: Mapping[str, Any]) -> bool:
        if step.field not in answers:
            return False
        value = answers[step.field]
        if step.type == "choice":
            return any(o.id == value for o in self._options(step, answers))
        if step.type == "multi":
            ids = {o.id for o in self._options(step, answers)}
            return isinstance(value, list) and all(v in ids for v in value)
        return True

    def _match_option(self, step: Step, answers: Mapping[str, Any], text: str) -> Option | None:
        options = self._options(step, answers)
        if text.isdigit() and 1 <= int(text) <= len(options):
            return options[int(text) - 1]
        folded = text.casefold()
        for option in options:
            if option.label.casefold() == folded or option.id.casefold() == folded:
                return option
        return None

    def _photos_step(self) -> Step | None:
        return next((s for s in self.flow.steps.values() if s.type == "photos"), None)

    def _summary_id(self) -> str:
        return next(s.id for s in self.flow.steps.values() if s.type == "summary")

    def _unsupported(self, kind: str) -> str:
        return self.ctx.text("flow.unsupported", what=self.ctx.text(f"input.{kind}"))


def _clip(text: str, limit: int) -> str:
    """Shorten long text for display."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
