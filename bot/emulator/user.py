"""Simulated people: private-chat users and group members who type, tap and read."""

# The waits below take an explicit ``timeout`` on purpose: it is the test-facing API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import time
from collections.abc import Callable

from .bot_message import BotMessage
from .markup import keyboard_labels
from .objects import JSON, bot_user, command_entities
from .render import render_chat
from .state import BotState, CallbackAnswer, ChatState, StoredMessage

Predicate = Callable[[BotMessage], bool]


class Actor:
    """Someone writing in one chat: a private-chat user or a group member."""

    def __init__(self, bot: BotState, user: JSON, chat: ChatState) -> None:
        self.bot = bot
        self.user = user
        self.chat = chat
        self._cursor = 0
        self._seen_edits: dict[int, int] = {}
        self._last_query: str | None = None

    @property
    def id(self) -> int:
        """The user id."""
        return int(self.user["id"])

    @property
    def chat_id(self) -> int:
        """The id of the chat this handle writes in."""
        return self.chat.id

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.user['first_name']} {self.id} in {self.chat_id}>"

    # --- acting -----------------------------------------------------------------

    def _post(self, content: JSON) -> JSON:
        data: JSON = {
            "message_id": self.chat.new_message_id(),
            "from": dict(self.user),
            "chat": dict(self.chat.chat),
            "date": self.bot.now_ts(),
            **content,
        }
        self.bot.store(self.chat, data, from_bot=False)
        return self.bot.enqueue({"message": copy.deepcopy(data)})

    async def send(self, text: str) -> JSON:
        """Type a text message; a leading ``/`` gets a bot_command entity. Returns the Update."""
        content: JSON = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(content)

    async def command(self, command: str, payload: str | None = None) -> JSON:
        """Send ``/command payload`` (e.g. a deep-link ``/start`` payload)."""
        command = command if command.startswith("/") else f"/{command}"
        return await self.send(f"{command} {payload}" if payload else command)

    async def send_photo(
        self,
        file_id: str | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        """Send a photo (a new one, or an existing ``file_id``) as three PhotoSizes."""
        if file_id is None:
            sizes = self.bot.files.new_photo()
        else:
            found = self.bot.files.photo_sizes(file_id)
            if found is None:
                raise AssertionError(f"unknown photo file_id {file_id!r}")
            sizes = found
        content: JSON = {"photo": sizes}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self._post(content)

    async def send_album(self, n: int = 3, caption: str | None = None) -> list[JSON]:
        """Send ``n`` photos sharing a media_group_id (caption on the first one)."""
        group_id = self.bot.new_media_group_id()
        return [
            await self.send_photo(caption=caption if i == 0 else None, media_group_id=group_id)
            for i in range(n)
        ]

    async def send_sticker(self, emoji: str = "👍") -> JSON:
        """Send a sticker."""
        sticker = self.bot.files.new_file(
            "sticker",
            b"RIFFwebp",
            extra={
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
            },
        )
        return self._post({"sticker": sticker})

    async def send_voice(self, duration: int = 3) -> JSON:
        """Send a voice message."""
        voice = self.bot.files.new_file(
            "voice", b"OggS voice", mime_type="audio/ogg", extra={"duration": duration}
        )
        return self._post({"voice": voice})

    async def send_location(self, latitude: float, longitude: float) -> JSON:
        """Share a location."""
        return self._post({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(
        self, phone_number: str, first_name: str | None = None, *, own: bool = True
    ) -> JSON:
        """Share a contact; ``own`` makes it this user's own (user_id set)."""
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name or self.user["first_name"],
        }
        if own:
            contact["user_id"] = self.id
        return self._post({"contact": contact})

    async def send_document(
        self,
        file_name: str = "report.pdf",
        content: bytes = b"%PDF-1.4 fake",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> JSON:
        """Send a document file."""
        document = self.bot.files.new_file(
            "document", content, file_name=file_name, mime_type=mime_type
        )
        body: JSON = {"document": document}
        if caption:
            body["caption"] = caption
        return self._post(body)

    async def forward(
        self, text: str, *, from_name: str = "Anna Smith", from_user: Actor | None = None
    ) -> JSON:
        """Forward a text message from someone else (hidden user unless ``from_user``)."""
        origin: JSON = (
            {"type": "user", "sender_user": dict(from_user.user), "date": self.bot.now_ts() - 60}
            if from_user is not None
            else {
                "type": "hidden_user",
                "sender_user_name": from_name,
                "date": self.bot.now_ts() - 60,
            }
        )
        return self._post({"text": text, "forward_origin": origin})

    async def reply_to(self, message_id: int, text: str) -> JSON:
        """Reply (quote) to a message in this chat."""
        target = self.chat.find(message_id)
        if target is None:
            raise AssertionError(
                f"cannot reply to #{message_id}: no such message\n{render_chat(self.chat)}"
            )
        quoted = target.snapshot()
        quoted.pop("reply_to_message", None)
        content: JSON = {"text": text, "reply_to_message": quoted}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(content)

    async def press(self, label: str, *, message_id: int | None = None) -> JSON:
        """Tap the inline button labelled ``label`` on the newest bot message showing it."""
        msg, data = self._find_button(label, message_id)
        return self._callback(msg, data)

    async def press_data(self, data: str, *, message_id: int | None = None) -> JSON:
        """Send a callback query with arbitrary (possibly forged) data."""
        if message_id is None:
            messages = self.chat.bot_messages()
            if not messages:
                raise AssertionError(f"no bot message to attach the callback to in {self!r}")
            msg = messages[-1]
        else:
            found = self.chat.find(message_id)
            if found is None:
                raise AssertionError(f"no message #{message_id}\n{render_chat(self.chat)}")
            msg = found
        return self._callback(msg, data)

    def _find_button(self, label: str, message_id: int | None) -> tuple[StoredMessage, str]:
        if message_id is not None:
            found = self.chat.find(message_id)
            candidates = [found] if found is not None and found.from_bot else []
        else:
            candidates = list(reversed(self.chat.bot_messages()))
        for msg in candidates:
            for row in msg.buttons:
                for text, data in row:
                    if text == label:
                        return msg, self._need_data(msg, text, data)
        for msg in candidates:
            partial = [(t, d) for row in msg.buttons for t, d in row if label in t]
            if len(partial) == 1:
                return msg, self._need_data(msg, *partial[0])
            if len(partial) > 1:
                raise AssertionError(
                    f"button label {label!r} is ambiguous in message #{msg.message_id}: "
                    f"{[t for t, _ in partial]}"
                )
        visible = [
            f"  #{m.message_id}: " + " / ".join(" | ".join(t for t, _ in row) for row in m.buttons)
            for m in reversed(candidates)
            if m.buttons
        ]
        where = f"message #{message_id}" if message_id is not None else f"chat {self.chat_id}"
        raise AssertionError(
            f"{self!r}: no button {label!r} in {where}. Visible buttons:\n"
            + ("\n".join(visible) or "  (none)")
            + "\n"
            + render_chat(self.chat)
        )

    def _need_data(self, msg: StoredMessage, text: str, data: str | None) -> str:
        if data is None:
            raise AssertionError(
                f"button {text!r} on #{msg.message_id} has no callback_data (URL or other kind)"
            )
        return data

    def _callback(self, msg: StoredMessage, data: str) -> JSON:
        query_id = self.bot.new_query_id()
        query: JSON = {
            "id": query_id,
            "from": dict(self.user),
            "message": msg.snapshot(),
            "chat_instance": str(-(abs(self.chat_id) * 7919 % 10**18)),
            "data": data,
        }
        self.bot.open_queries[query_id] = query
        self._last_query = query_id
        self._seen_edits[msg.message_id] = len(msg.edits)
        return self.bot.enqueue({"callback_query": copy.deepcopy(query)})

    # --- reading ----------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        """All visible bot messages in this chat, current state, oldest first."""
        return [BotMessage.from_stored(m) for m in self.chat.bot_messages()]

    @property
    def last(self) -> BotMessage:
        """The newest visible bot message in this chat."""
        messages = self.chat.bot_messages()
        if not messages:
            raise AssertionError(f"{self!r}: the bot has sent nothing\n{render_chat(self.chat)}")
        return BotMessage.from_stored(messages[-1])

    @property
    def unread(self) -> list[BotMessage]:
        """Visible bot messages after this reader's cursor."""
        return [
            BotMessage.from_stored(m)
            for m in self.chat.bot_messages()
            if m.message_id > self._cursor
        ]

    def mark_read(self) -> None:
        """Move the cursor past every message sent so far."""
        messages = self.chat.bot_messages(include_deleted=True)
        if messages:
            self._cursor = max(self._cursor, messages[-1].message_id)

    @property
    def keyboard(self) -> list[list[str]]:
        """The reply keyboard currently shown (from the newest message that set or removed it)."""
        raw = self._reply_keyboard()
        return keyboard_labels(raw) if raw else []

    def _reply_keyboard(self) -> JSON | None:
        for msg in reversed(self.chat.bot_messages(include_deleted=True)):
            markup = msg.markup or {}
            if "keyboard" in markup:
                return markup
            if markup.get("remove_keyboard"):
                return None
        return None

    async def tap(self, label: str) -> JSON:
        """Tap a reply-keyboard button: sends its text, or the contact/location it requests."""
        raw = self._reply_keyboard()
        for row in (raw or {}).get("keyboard", []):
            for button in row:
                spec = {"text": button} if isinstance(button, str) else button
                if spec["text"] != label:
                    continue
                if spec.get("request_contact"):
                    return await self.send_contact(f"+1555{self.id % 10**7:07d}")
                if spec.get("request_location"):
                    return await self.send_location(31.2304, 121.4737)
                return await self.send(label)
        raise AssertionError(
            f"{self!r}: no reply-keyboard button {label!r}; keyboard: {self.keyboard}\n"
            + render_chat(self.chat)
        )

    def button_labels(self, message: BotMessage | None = None) -> list[str]:
        """Inline button texts of ``message`` (default: the newest bot message)."""
        return (message or self.last).labels

    async def wait_for_message(
        self, predicate: Predicate | None = None, timeout: float = 5.0
    ) -> BotMessage:
        """Return the next unread bot message (matching ``predicate``); moves the cursor."""

        def probe() -> BotMessage | None:
            for msg in self.chat.bot_messages():
                if msg.message_id <= self._cursor:
                    continue
                seen = BotMessage.from_stored(msg)
                if predicate is None or predicate(seen):
                    return seen
            return None

        what = "a bot message" + (" matching the predicate" if predicate else "")
        found = await self.bot.wait_for(
            probe, timeout, f"{what} after #{self._cursor} for {self!r}", self.chat_id
        )
        self._cursor = found.message_id
        self._seen_edits[found.message_id] = found.edits
        return found

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[BotMessage]:
        """Return the next ``count`` unread bot messages."""
        deadline = time.monotonic() + timeout
        return [
            await self.wait_for_message(timeout=max(deadline - time.monotonic(), 0))
            for _ in range(count)
        ]

    async def wait_for_edit(self, message_id: int, timeout: float = 5.0) -> BotMessage:
        """Wait until message ``message_id`` is edited after this person last saw it."""
        baseline = self._seen_edits.get(message_id, 0)

        def probe() -> BotMessage | None:
            msg = self.chat.messages.get(message_id)
            if msg is not None and len(msg.edits) > baseline:
                return BotMessage.from_stored(msg)
            return None

        found = await self.bot.wait_for(
            probe, timeout, f"an edit of #{message_id} (seen {baseline} edits)", self.chat_id
        )
        self._seen_edits[message_id] = found.edits
        return found

    async def wait_callback_answer(self, timeout: float = 5.0) -> CallbackAnswer:
        """Return the answerCallbackQuery for this person's last press."""
        query_id = self._last_query
        if query_id is None:
            raise AssertionError(f"{self!r} has not pressed anything")

        def probe() -> CallbackAnswer | None:
            return next(
                (a for a in self.bot.callback_answers if a.callback_query_id == query_id), None
            )

        return await self.bot.wait_for(
            probe, timeout, f"answerCallbackQuery for query {query_id}", self.chat_id
        )

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until the bot has fetched every update and made no call for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            idle_for = now - self.bot.last_activity
            if self.bot.undelivered_count() == 0 and idle_for >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    self.bot.describe_timeout("the bot to go idle", timeout, self.chat_id)
                )
            await self.bot.signal.wait(min(deadline - now, max(quiet - idle_for, 0.01)))

    async def assert_no_reply(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until idle and fail if the bot sent anything unread to this chat."""
        await self.wait_idle(quiet, timeout)
        unread = self.unread
        if unread:
            raise AssertionError(
                f"{self!r} expected no reply but got {[m.text for m in unread]}\n"
                + render_chat(self.chat)
            )


class FakeUser(Actor):
    """A person in a private chat with the bot (chat id == user id)."""

    def block(self) -> JSON:
        """Block the bot: sends fail with 403 and a my_chat_member update is queued."""
        self.chat.blocked = True
        return self._member_update("member", "kicked")

    def unblock(self) -> JSON:
        """Unblock the bot again."""
        self.chat.blocked = False
        return self._member_update("kicked", "member")

    def _member_update(self, old: str, new: str) -> JSON:
        def member(status: str) -> JSON:
            entry: JSON = {"status": status, "user": bot_user()}
            if status == "kicked":
                entry["until_date"] = 0
            return entry

        return self.bot.enqueue(
            {
                "my_chat_member": {
                    "chat": dict(self.chat.chat),
                    "from": dict(self.user),
                    "date": self.bot.now_ts(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )


class GroupMember(Actor):
    """A person acting inside a group chat."""


class FakeGroup:
    """A group chat the bot is in."""

    def __init__(self, bot: BotState, chat: ChatState) -> None:
        self.bot = bot
        self.chat = chat
        self._members: dict[int, GroupMember] = {}

    @property
    def id(self) -> int:
        """The group's chat id."""
        return self.chat.id

    @property
    def title(self) -> str:
        """The group's title."""
        return str(self.chat.chat["title"])

    def member(self, user: Actor) -> GroupMember:
        """Return a handle for ``user`` acting in this group (one per user, cached)."""
        handle = self._members.get(user.id)
        if handle is None:
            handle = GroupMember(self.bot, user.user, self.chat)
            self.chat.members[user.id] = user.user
            self._members[user.id] = handle
        return handle

    def add_bot(self, by: Actor) -> JSON:
        """Queue the my_chat_member update for the bot being added by ``by``."""
        return self.bot.enqueue(
            {
                "my_chat_member": {
                    "chat": dict(self.chat.chat),
                    "from": dict(by.user),
                    "date": self.bot.now_ts(),
                    "old_chat_member": {"status": "left", "user": bot_user()},
                    "new_chat_member": {"status": "member", "user": bot_user()},
                }
            }
        )

    @property
    def messages(self) -> list[BotMessage]:
        """All visible bot messages in the group, oldest first."""
        return [BotMessage.from_stored(m) for m in self.chat.bot_messages()]

    @property
    def last(self) -> BotMessage:
        """The newest visible bot message in the group."""
        messages = self.chat.bot_messages()
        if not messages:
            raise AssertionError(f"the bot has sent nothing to {self.title}")
        return BotMessage.from_stored(messages[-1])
