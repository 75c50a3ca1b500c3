"""The flow runner: (flow, state, event) → new state and replies. Pure: no Telegram, no SQL.

The state is plain data (``FlowState.to_dict``) so the store can write it after every step and
a restart resumes exactly where the person was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.core import card, choices, questions
from bot.core.flow import FINISH, Flow, Step
from bot.core.flowdata import (
    Button,
    ContactInput,
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
    "ContactInput",
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
            return self._photo(state, step, event.file_id, event.caption)
        if isinstance(event, ContactInput):
            return self._contact(state, step, event)
        if event.kind == "voice":
            return self._refuse(state, self.ctx.text("flow.voice"))
        return self._refuse(state, self._unsupported(event.kind))

    def prompt(self, state: FlowState, page: int = 0) -> Reply:
        """The question of the current step, with its buttons (``page`` of a long list); in a
        card flow headed by the answers so far."""
        reply = questions.question(self, state, page)
        step = self.flow.step(state.step)
        if not self.flow.card or step.type in ("summary", "contact"):
            return reply
        head = card.header(self, state)
        return replace(reply, text=f"{head}\n\n{reply.text}") if head else reply

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
            match = card.match_option(self, step, state.answers, text)
            if match is None and step.typed and text:
                # A typed answer beside the buttons ("明天 9点"): its check reads it.
                return self._answer(state, step, text)
            if match is None:
                return self._refuse(state, self.ctx.text("flow.no_match", text=_clip(text, 40)))
            return self._choose(state, step, match)
        if step.type == "contact":
            if text.casefold() == self.ctx.text("flow.btn_skip").casefold():
                return self._answer(state, step, "", echo=self.ctx.text("flow.skipped"))
            return self._refuse(state, self.ctx.text("flow.contact_use_button"))
        if step.type == "message":
            return self._message(state, step, text, None)
        if step.type == "text":
            if step.check is not None:
                # Its check speaks first, so a text too long is refused in its own words.
                _, problem = self.ctx.accept(step, state.answers, text)
                if problem is not None:
                    return self._refuse(state, problem)
            low, high = self.ctx.limits(step.limit)
            if len(text) > high:
                return self._refuse(
                    state, self.ctx.text("flow.too_long", length=len(text), max=high)
                )
            if len(text) < max(low, 1):
                key = "flow.too_short" if text else "flow.empty_text"
                return self._refuse(state, self.ctx.text(key, min=max(low, 1)))
            doubt = self.ctx.check(step, state.answers, text)
            asked = f"_doubted_{step.field}"
            if doubt is not None and state.answers.get(asked) != text:
                # Said once; the same text again means the person is sure.
                new = replace(state, answers={**state.answers, asked: text})
                return Result(state=new, replies=(Reply(doubt), self.prompt(new)))
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

    def _contact(self, state: FlowState, step: Step, event: ContactInput) -> Result:
        """Only the sender's own contact answers a contact step."""
        if step.type != "contact":
            return self._refuse(state, self._unsupported("contact"))
        if not event.own:
            return self._refuse(state, self.ctx.text("flow.contact_not_own"))
        return self._answer(state, step, event.phone.strip()[:32])

    def _photo(self, state: FlowState, step: Step, file_id: str, caption: str = "") -> Result:
        photos_step = step if step.type == "photos" else self._photos_step()
        if photos_step is None:
            return self._refuse(state, self._unsupported("photo"))
        if step.type == "text" and caption.strip() and self.flow.card:
            # A photo with a caption answers a text question: the caption is the text.
            photos = list(state.answers.get(photos_step.field) or [])
            _, high = self.ctx.limits(photos_step.limit)
            if file_id not in photos and len(photos) < high:
                photos.append(file_id)
            kept = replace(state, answers={**state.answers, photos_step.field: photos})
            return self._text(kept, step, caption)
        photos = list(state.answers.get(photos_step.field) or [])
        _, high = self.ctx.limits(photos_step.limit)
        if len(photos) >= high:
            return self._refuse(state, self.ctx.text("flow.photos_full", max=high))
        if file_id not in photos:
            photos.append(file_id)
        new = replace(state, answers={**state.answers, photos_step.field: photos})
        if step.type == "photos" or self.flow.card:
            # A card counts the photos itself; nothing else need be said.
            return Result(state=new, replies=(self.prompt(new),))
        # A photo sent early is kept for the photo step rather than lost.
        note = self.ctx.text("flow.photo_kept", count=len(photos), max=high)
        return Result(state=new, replies=(Reply(note), self.prompt(new)))

    # ----- moves --------------------------------------------------------------------------

    def _choose(self, state: FlowState, step: Step, chosen: Option) -> Result:
        notes = (Reply(chosen.note),) if chosen.note and not self.flow.card else ()
        echo = None if self.flow.card else f"{self.ctx.text(step.ask)}\n✅ {chosen.label}"
        return self._answer(state, step, chosen.id, echo=echo, notes=notes, sets=chosen.sets)

    def _answer(
        self,
        state: FlowState,
        step: Step,
        value: Any,
        *,
        echo: str | None = None,
        notes: tuple[Reply, ...] = (),
        sets: Mapping[str, Any] | None = None,
    ) -> Result:
        if step.check is not None:
            value, problem = self.ctx.accept(step, state.answers, value)
            if problem is not None:
                return self._refuse(state, problem)
        answers, locked, proposed = card.apply_sets(state, {step.field: value}, sets or {})
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
            locked=locked - {step.field},
            proposed=proposed - {step.field},
        )
        settled = self._settle(moved)
        return Result(state=settled, replies=(*notes, self.prompt(settled)), echo=echo)

    def _settle(self, state: FlowState) -> FlowState:
        """Skip steps that need no question: empty sources, single options, kept answers."""
        answers = dict(state.answers)
        locked, proposed = set(state.locked), set(state.proposed)
        step = self.flow.step(state.step)
        for _ in range(len(self.flow.steps) + 1):
            if step.type == "summary":
                break
            skip = card.propose(self, step, answers, locked, proposed, state.editing)
            if not skip and step.type == "choice":
                options = self._options(step, answers)
                if not options and step.skip_if_empty:
                    answers.pop(step.field, None)
                    skip = True
                elif len(options) == 1 and step.auto_pick_single:
                    answers[step.field] = options[0].id
                    skip = True
            keep = state.editing or step.field in locked
            if not skip and keep and self._valid(step, answers):
                skip = True
            if not skip:
                break
            nxt = step.next_step(answers)
            if nxt is None or nxt == FINISH:
                break  # nothing left to skip to: ask this step after all
            step = self.flow.step(nxt)
        editing = state.editing and step.type != "summary"
        return replace(
            state,
            step=step.id,
            answers=answers,
            editing=editing,
            locked=frozenset(locked),
            proposed=frozenset(proposed),
        )

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
            after = card.after_summary(self, state)
            if after is not None:
                return Result(
                    state=after, replies=(self.prompt(after),), echo=card.done(self, state)
                )
            return Result(
                state=None,
                outcome="submitted",
                answers=self.final_answers(state.answers),
                echo=card.done(self, state),
            )
        if action == EDIT:
            return Result(state=state, replies=(self._edit_menu(state),), changed=False)
        if action == SUMMARY:
            return Result(state=state, replies=(self.prompt(state),), changed=False)
        if action.startswith("e:"):
            target = action[2:]
            editable = {s.id for s in self.path(state.answers) if s.label}
            editable |= card.edit_targets(self, state)
            if target not in editable:
                return self._refuse(state, self.ctx.text("flow.stale_button"), changed=False)
            new = replace(
                state,
                step=target,
                editing=True,
                history=(*state.history, state.step),
                locked=state.locked - {self.flow.step(target).field},
                proposed=state.proposed - {self.flow.step(target).field},
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
            if step.type == "summary" and not step.next:
                break
            current = step.next_step(answers)
            if current == FINISH:
                break
        return steps

    def final_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers on the chosen path (a changed branch leaves stale ones behind), plus the
        context the flow was started with (fields no step asks for, e.g. the ticket)."""
        asked = {s.field for s in self.flow.steps.values()}
        fields = {s.field for s in self.path(answers)} | card.edit_fields(self)
        return {k: v for k, v in answers.items() if k in fields or k not in asked}

    def describe(self, step: Step, answers: Mapping[str, Any]) -> str:
        """A person-readable rendering of one answer."""
        value = answers.get(step.field)
        if step.type == "choice":
            option = next((o for o in self._options(step, answers) if o.id == value), None)
            if option is None and step.typed and value:
                return _clip(self.ctx.shown(step, value), 100)
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

    def _edit_menu(self, state: FlowState) -> Reply:
        targets = [s for s in self.path(state.answers) if s.label and s.type != "summary"]
        rows = choices.rows([Button(self.ctx.text(s.label or ""), f"e:{s.id}") for s in targets], 2)
        back = (Button(self.ctx.text("flow.btn_to_summary"), SUMMARY),)
        return Reply(self.ctx.text("flow.edit_which"), (*rows, back))

    # ----- helpers ------------------------------------------------------------------------

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

    def options_of(self, step: Step, answers: Mapping[str, Any]) -> Sequence[Option]:
        """The options a choice step offers, given the answers."""
        return self._options(step, answers)

    def valid(self, step: Step, answers: Mapping[str, Any]) -> bool:
        """Whether the answers hold a usable answer for the step."""
        return self._valid(step, answers)

    def _photos_step(self) -> Step | None:
        return next((s for s in self.flow.steps.values() if s.type == "photos"), None)

    def _summary_id(self) -> str:
        return next(s.id for s in self.flow.steps.values() if s.type == "summary")

    def _unsupported(self, kind: str) -> str:
        return self.ctx.text("flow.unsupported", what=self.ctx.text(f"input.{kind}"))


def _clip(text: str, limit: int) -> str:
    """Shorten long text for display."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
