"""What the fake remembers per bot token: chats, messages, pending updates, sent records."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.clock import Clock, utc_now

from .errors import CHAT_NOT_FOUND, bad_request
from .faults import Stats
from .files import FileStore
from .markup import Buttons, inline_buttons, inline_part
from .objects import JSON, message_kind, unix_time, update_kind

T = TypeVar("T")
DEFAULT_UPDATE_TYPES = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)  # excluded unless explicitly allowed, as on Telegram


class Signal:
    """Wakes every waiter when fired; waiters then re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake all current waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Wait until the next ``fire`` or ``seconds``, whichever is first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(seconds, 0))


@dataclass(frozen=True)
class EditRecord:
    """One edit of a bot message: what it looked like before and after."""

    method: str
    time: float
    old_text: str | None
    new_text: str | None
    old_markup: JSON | None
    new_markup: JSON | None


@dataclass
class StoredMessage:
    """A message in a chat with its CURRENT content (edits applied)."""

    data: JSON
    from_bot: bool
    markup: JSON | None = None
    created: float = field(default_factory=time.monotonic)
    edits: list[EditRecord] = field(default_factory=list)
    deleted: bool = False

    @property
    def message_id(self) -> int:
        """The message id (unique within its chat)."""
        return int(self.data["message_id"])

    @property
    def chat_id(self) -> int:
        """The id of the chat the message is in."""
        return int(self.data["chat"]["id"])

    @property
    def text(self) -> str | None:
        """The text, or the caption of a media message."""
        value = self.data.get("text", self.data.get("caption"))
        return None if value is None else str(value)

    @property
    def kind(self) -> str:
        """The content type: ``text``, ``photo``, ``document``, ..."""
        return message_kind(self.data)

    @property
    def buttons(self) -> Buttons:
        """The current inline keyboard as rows of ``(text, callback_data)``."""
        return inline_buttons(self.markup)

    def snapshot(self) -> JSON:
        """Return the message as Telegram would serialize it now."""
        return copy.deepcopy(self.data)


@dataclass
class ChatState:
    """A chat the bot can talk to, with its message history."""

    chat: JSON
    user: JSON | None = None
    blocked: bool = False
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    members: dict[int, JSON] = field(default_factory=dict)
    next_id: int = 1

    @property
    def id(self) -> int:
        """The chat id."""
        return int(self.chat["id"])

    def new_message_id(self) -> int:
        """Allocate the next message id in this chat."""
        value = self.next_id
        self.next_id += 1
        return value

    def find(self, message_id: int) -> StoredMessage | None:
        """Return a non-deleted message by id."""
        msg = self.messages.get(message_id)
        return None if msg is None or msg.deleted else msg

    def bot_messages(self, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Return the bot's messages in order of sending."""
        return [
            m for m in self.messages.values() if m.from_bot and (include_deleted or not m.deleted)
        ]


@dataclass(frozen=True)
class SentRecord:
    """One successful message-producing or -changing call of the bot."""

    method: str
    chat_id: int
    message_id: int | None
    text: str | None
    caption: str | None
    reply_markup: JSON | None
    photos: tuple[str, ...]
    time: float
    params: JSON

    @property
    def content(self) -> str | None:
        """The text or, for media, the caption."""
        return self.text if self.text is not None else self.caption


@dataclass(frozen=True)
class CallbackAnswer:
    """One answerCallbackQuery call."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    user_id: int | None
    data: str | None
    time: float


@dataclass(frozen=True)
class ApiCall:
    """One HTTP call the bot made, with the status it got."""

    token: str
    method: str
    params: JSON
    status: int
    description: str | None
    time: float  # when it was answered (monotonic)
    asked: float = 0.0  # when it arrived: a long poll is answered up to its timeout later


class BotState:
    """Everything the fake keeps for one bot token."""

    def __init__(self, token: str, stats: Stats, clock: Clock = utc_now) -> None:
        self.token = token
        self.clock = clock
        self.stats = stats
        self.files = FileStore()
        self.chats: dict[int, ChatState] = {}
        self.updates: list[JSON] = []
        self.enqueued_upto = 0
        self.delivered_upto = 0
        self._update_ids = itertools.count(730_000_001)
        self._query_ids = itertools.count(4_600_000_000_000_000_001)
        self._media_group_ids = itertools.count(13_900_000_000_000_001)
        self.allowed_updates: list[str] | None = None
        self.sent: list[SentRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.open_queries: dict[str, JSON] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.webhook: JSON | None = None
        self.chat_actions: list[tuple[int, str]] = []
        self.errors: deque[ApiCall] = deque(maxlen=30)
        self.signal = Signal()
        self.last_activity = time.monotonic()
        self.poll_generation = 0
        self.stopping = False

    def now_ts(self) -> int:
        """The Unix time this bot's messages carry in ``date`` (the emulator's clock)."""
        return unix_time(self.clock)

    # chats and messages

    def add_chat(self, chat: JSON, user: JSON | None = None) -> ChatState:
        """Register a chat (idempotent) and return its state."""
        state = self.chats.get(int(chat["id"]))
        if state is None:
            state = ChatState(chat=chat, user=user)
            self.chats[state.id] = state
        return state

    def resolve_chat(self, chat_id: int | str) -> ChatState:
        """Return a known chat by id or ``@username``, else raise ``chat not found``."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            for candidate in self.chats.values():
                if str(candidate.chat.get("username", "")).lower() == name:
                    return candidate
            raise bad_request(CHAT_NOT_FOUND)
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request(CHAT_NOT_FOUND)
        return found

    def chat(self, chat_id: int) -> ChatState:
        """Return a registered chat or fail the test clearly."""
        state = self.chats.get(chat_id)
        if state is None:
            raise AssertionError(f"chat {chat_id} is not registered with the fake server")
        return state

    def store(
        self, chat: ChatState, data: JSON, *, from_bot: bool, markup: JSON | None = None
    ) -> StoredMessage:
        """Store a new message in its chat and wake waiters."""
        inline = inline_part(markup)
        if inline is not None:
            data["reply_markup"] = inline
        msg = StoredMessage(data=data, from_bot=from_bot, markup=markup)
        chat.messages[msg.message_id] = msg
        self.touch()
        return msg

    def new_media_group_id(self) -> str:
        """Return a fresh media_group_id."""
        return str(next(self._media_group_ids))

    def new_query_id(self) -> str:
        """Return a fresh callback query id."""
        return str(next(self._query_ids))

    # updates

    def enqueue(self, body: JSON) -> JSON:
        """Queue one Update built from ``body`` and return it."""
        update = {"update_id": next(self._update_ids), **body}
        self.updates.append(update)
        self.enqueued_upto = update["update_id"]
        self.stats.updates_enqueued += 1
        self.touch()
        return update

    def confirm(self, offset: int) -> None:
        """Apply getUpdates ``offset``: forget updates before it (negative: keep the last N)."""
        before = len(self.updates)
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        if len(self.updates) != before:
            self.touch()

    def take(self, limit: int) -> list[JSON]:
        """Return up to ``limit`` pending updates the bot subscribed to."""
        allowed = self.allowed_updates
        kept: list[JSON] = []
        for update in self.updates:
            kind = update_kind(update)
            if (kind in allowed) if allowed else (kind not in DEFAULT_UPDATE_TYPES):
                kept.append(update)
        self.updates = kept
        batch = kept[:limit]
        if batch:
            self.delivered_upto = max(self.delivered_upto, batch[-1]["update_id"])
            self.stats.updates_delivered += len(batch)
            self.touch()
        return copy.deepcopy(batch)

    def pending_count(self) -> int:
        """Updates enqueued but not yet confirmed by the bot."""
        return len(self.updates)

    def undelivered_count(self) -> int:
        """Updates the bot has not even fetched yet."""
        return sum(1 for u in self.updates if u["update_id"] > self.delivered_upto)

    # waiting

    def touch(self) -> None:
        """Note activity and wake waiters."""
        self.last_activity = time.monotonic()
        self.signal.fire()

    async def wait_for(
        self,
        probe: Callable[[], T | None],
        within: float,
        what: str,
        chat_id: int | None = None,
    ) -> T:
        """Return ``probe()`` once not None; after ``within`` s fail with a dump of the chat."""
        deadline = time.monotonic() + within
        while True:
            result = probe()
            if result is not None:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self.describe_timeout(what, within, chat_id))
            await self.signal.wait(remaining)

    def describe_timeout(self, what: str, timeout: float, chat_id: int | None) -> str:
        """Return a readable failure message for a timed-out wait."""
        from .render import render_state

        return f"timed out after {timeout:g}s waiting for {what}\n" + render_state(self, chat_id)

    def record_call(self, call: ApiCall) -> None:
        """Remember a failed call for failure dumps."""
        if call.status != 200:
            self.errors.append(call)
