"""What flows are made of: options, buttons, replies, events, the saved state and a result.

Plain data, so the store can write a state after every step (``FlowState.to_dict``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.flow import Step


@dataclass(frozen=True)
class Option:
    """One choice offered to a person: a stable id, its label and an optional hint/note."""

    id: str
    label: str
    hint: str | None = None
    note: str | None = None  # shown once it is picked (e.g. safety advice and the hotline)
    # Other answers picking it gives at once (a remembered home: estate, building, unit);
    # None removes an answer.
    sets: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    """An inline button: its label and the action it asks for."""

    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    """A message to show: text and rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # A reply keyboard asking for the person's own contact: (share label, skip label).
    contact: tuple[str, str] | None = None


@dataclass(frozen=True)
class TextInput:
    """The person typed text."""

    text: str


@dataclass(frozen=True)
class PhotoInput:
    """The person sent a photo (largest size's file_id) and perhaps a caption."""

    file_id: str
    caption: str = ""


@dataclass(frozen=True)
class Press:
    """The person pressed a button of ``step`` asking for ``action``."""

    step: str
    action: str


@dataclass(frozen=True)
class ContactInput:
    """The person shared a contact; ``own`` when it is their own (its user id is theirs)."""

    phone: str
    own: bool


@dataclass(frozen=True)
class OtherInput:
    """Anything the flow cannot use: a sticker, voice note, location, …"""

    kind: str


Event = TextInput | PhotoInput | Press | ContactInput | OtherInput


@dataclass(frozen=True)
class FlowState:
    """Where a person is in a flow and what they answered so far."""

    flow: str
    step: str
    token: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    editing: bool = False
    locked: frozenset[str] = frozenset()
    proposed: frozenset[str] = frozenset()  # answers guessed, not given: guessed again
    anchor: int | None = None  # the channel's message showing a card flow, edited in place
    seen: int = 0  # the channel's id of the last message that answered (a repeat is dropped)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for the store."""
        return {
            "flow": self.flow,
            "step": self.step,
            "token": self.token,
            "answers": dict(self.answers),
            "history": list(self.history),
            "editing": self.editing,
            "locked": sorted(self.locked),
            "proposed": sorted(self.proposed),
            "anchor": self.anchor,
            "seen": self.seen,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FlowState:
        """Rebuild a state written by ``to_dict``."""
        return cls(
            flow=str(raw["flow"]),
            step=str(raw["step"]),
            token=str(raw["token"]),
            answers=dict(raw.get("answers") or {}),
            history=tuple(raw.get("history") or ()),
            editing=bool(raw.get("editing", False)),
            locked=frozenset(raw.get("locked") or ()),
            proposed=frozenset(raw.get("proposed") or ()),
            anchor=int(raw["anchor"]) if raw.get("anchor") is not None else None,
            seen=int(raw.get("seen") or 0),
        )


@dataclass(frozen=True)
class Result:
    """What handling one event produced.

    ``state`` is None when the flow ended (``outcome`` says how); ``echo`` replaces the text of
    the message whose button was pressed, so the chat shows what was chosen.
    """

    state: FlowState | None
    replies: tuple[Reply, ...] = ()
    outcome: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    echo: str | None = None
    changed: bool = True
    echo_buttons: tuple[tuple[Button, ...], ...] = ()  # buttons kept on the pressed message


class FlowContext(Protocol):
    """What the runner needs from the world: options, texts and limits, all in one language."""

    def options(self, step: Step, answers: Mapping[str, Any]) -> Sequence[Option]:
        """The options a choice step offers, given earlier answers."""
        ...

    def text(self, key: str, **params: Any) -> str:
        """A text from the person's language catalog."""
        ...

    def limits(self, name: str | None) -> tuple[int, int]:
        """(minimum, maximum) for a named limit: characters for texts, count for photos."""
        ...

    def check(self, step: Step, answers: Mapping[str, Any], text: str) -> str | None:
        """What is doubtful about a typed answer (said to the person; the same text sent
        again is taken), or None."""
        ...

    def accept(self, step: Step, answers: Mapping[str, Any], value: Any) -> tuple[Any, str | None]:
        """A step with a ``check``: the answer as kept, or why it is refused."""
        ...

    def shown(self, step: Step, value: Any) -> str:
        """A typed answer of a ``typed`` choice step as people read it (on the card)."""
        ...

    def propose(self, name: str, answers: Mapping[str, Any], text: str | None = None) -> Any:
        """A guessed answer for a step's ``propose`` (from ``text`` when given), or None."""
        ...
