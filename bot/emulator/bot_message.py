"""BotMessage: a bot message as a simulated person sees it."""

from __future__ import annotations

from dataclasses import dataclass

from .markup import Buttons, inline_buttons, keyboard_labels
from .objects import JSON
from .state import StoredMessage


@dataclass(frozen=True)
class BotMessage:
    """A bot message as the person sees it at the moment it was read."""

    message_id: int
    chat_id: int
    text: str | None
    buttons: Buttons
    photos: tuple[str, ...]
    kind: str
    media_group_id: str | None
    keyboard: list[list[str]]
    edits: int
    deleted: bool
    raw: JSON

    @classmethod
    def from_stored(cls, msg: StoredMessage) -> BotMessage:
        """Snapshot a stored message; ``photos`` holds the file ids of every PhotoSize."""
        data = msg.snapshot()
        return cls(
            message_id=msg.message_id,
            chat_id=msg.chat_id,
            text=msg.text,
            buttons=inline_buttons(msg.markup),
            photos=tuple(size["file_id"] for size in data.get("photo", [])),
            kind=msg.kind,
            media_group_id=data.get("media_group_id"),
            keyboard=keyboard_labels(msg.markup),
            edits=len(msg.edits),
            deleted=msg.deleted,
            raw=data,
        )

    @property
    def labels(self) -> list[str]:
        """All inline button texts, row by row."""
        return [text for row in self.buttons for text, _ in row]

    @property
    def callback_data(self) -> list[str | None]:
        """All inline button callback_data values, row by row."""
        return [data for row in self.buttons for _, data in row]

    def data_for(self, label: str) -> str | None:
        """Return the callback_data of the button with exactly this text."""
        for row in self.buttons:
            for text, data in row:
                if text == label:
                    return data
        raise AssertionError(f"no button {label!r} in message #{self.message_id}: {self.labels}")
