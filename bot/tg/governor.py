"""One pace for every message the bot sends or edits: Telegram's flood limits, by priority.

Telegram answers 429 to a bot that sends more than about 30 messages a second overall, about
one a second to one private chat (short bursts pass) or 20 a minute to one group. Every send
and edit, whoever makes it (a handler's answer, the outbox, a report job), passes through
``Governor.acquire`` in the HTTP transport, so there is one budget and not one per sender.
When messages have to wait, the most important goes first (``Priority``): the answer to the
person who just acted, then cards and alerts, then relays and notices.

The priority travels with the task that sends (a context variable): the poller sets REPLY
while it handles an update, the outbox sets each message's own, anything else is NOTICE.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from telegram.request import RequestData

from bot.core.models import Priority

_priority: ContextVar[Priority] = ContextVar("send_priority", default=Priority.NOTICE)

# Calls that put a message in a chat (Telegram counts them against its limits).
_SENDS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "sendmediagroup",
        "senddocument",
        "sendvideo",
        "sendanimation",
        "sendaudio",
        "sendvoice",
        "sendvideonote",
        "sendsticker",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendpoll",
        "senddice",
        "sendpaidmedia",
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }
)
# Calls that change a message already there.
_EDITS = frozenset(
    {
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "editmessagemedia",
        "editmessagelivelocation",
        "stopmessagelivelocation",
        "stoppoll",
    }
)
# Calls that put several messages in at once count as that many.
_COUNTED = {
    "sendmediagroup": "media",
    "copymessages": "message_ids",
    "forwardmessages": "message_ids",
}

GLOBAL_BURST = 2.0  # one slot a late timer missed is made up, never more (no bursts overall)
CHAT_BURST = 2.0  # two at once pass (a question and its hint); Telegram's bucket is deeper
GROUP_BURST = 1.0  # 20 a minute is counted strictly: a group gets one message per slot
WAIT_OUT_429 = 10.0  # a 429 asking for longer is left to the caller (the outbox reschedules)
_PRUNE_AT = 4096  # chats remembered before full, idle buckets are dropped


@contextlib.contextmanager
def sending_as(priority: Priority) -> Iterator[None]:
    """Send everything inside (in this task) at ``priority``."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> Priority:
    """The priority sends made now (in this task) get."""
    return _priority.get()


@dataclass(frozen=True)
class Call:
    """A send or edit as the governor sees it: which chat, how many messages."""

    chat: int | str | None  # None: an inline message (no chat): only the overall rate
    cost: int = 1
    edit: bool = False


def governed_call(url: str, request_data: RequestData | None) -> Call | None:
    """The send or edit a Bot API call makes; None for calls that are not paced."""
    method = url.rsplit("/", 1)[-1].lower()
    if method not in _SENDS and method not in _EDITS:
        return None
    params = request_data.parameters if request_data is not None else {}
    chat = params.get("chat_id")
    items = params.get(_COUNTED.get(method, ""))
    cost = len(items) if isinstance(items, list) and items else 1
    return Call(chat if isinstance(chat, int | str) else None, cost=cost, edit=method in _EDITS)


def retry_after_of(payload: bytes) -> float | None:
    """The seconds a 429 answer asks us to wait, if it says."""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        value = json.loads(payload).get("parameters", {}).get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


@dataclass
class _Bucket:
    """A token bucket that may go into debt (an album of ten costs ten)."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Seconds until one token is there (0: now)."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    call: Call = field(compare=False)
    granted: asyncio.Future[None] = field(compare=False)


class Governor:
    """Keeps every send and edit within Telegram's limits; the most important goes first."""

    def __init__(
        self,
        per_second: float,
        chat_per_second: float = 1.0,
        group_per_minute: float = 20.0,
    ) -> None:
        # Real elapsed time (time.monotonic), as Telegram counts it; the loop's timers agree.
        self._clock = time.monotonic
        self._chat_rate = chat_per_second
        self._group_rate = group_per_minute / 60
        self._per_second = per_second
        self._share = 1  # replicas sharing the token's limits (``share``)
        self._global = _Bucket(per_second, GLOBAL_BURST, GLOBAL_BURST, self._clock())
        self._chats: dict[int | str, _Bucket] = {}
        self._held: dict[int | str, float] = {}  # chat → until (a 429's retry_after)
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self.waited: dict[Priority, int] = dict.fromkeys(Priority, 0)
        self.holds = 0

    async def acquire(self, call: Call, priority: Priority | None = None) -> None:
        """Wait until ``call`` may go out now, then count it."""
        level = current_priority() if priority is None else priority
        waiter = _Waiter(level, next(self._seq), call, asyncio.get_running_loop().create_future())
        bisect.insort(self._waiters, waiter)
        self._dispatch()
        if waiter.granted.done():
            return
        self.waited[level] += 1
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            self._dispatch()  # its place goes to the next one
            raise

    def share(self, replicas: int) -> float:
        """Take 1/``replicas`` of every limit (overall, per chat, per group): replicas on one
        bot token share Telegram's budget, and any of them may write to any chat (each
        counts the live ones at every heartbeat). Returns the new overall rate."""
        self._share = max(replicas, 1)
        self._global.rate = self._per_second / self._share
        for chat, bucket in self._chats.items():
            rate, burst = self._limits(chat)
            bucket.rate, bucket.burst = rate, burst
            bucket.tokens = min(bucket.tokens, burst)
        return self._global.rate

    def _limits(self, chat: int | str) -> tuple[float, float]:
        """A chat's rate and burst, this process's share of them (at least one at once)."""
        rate, burst = (
            (self._group_rate, GROUP_BURST)
            if self._is_group(chat)
            else (self._chat_rate, CHAT_BURST)
        )
        return rate / self._share, max(1.0, burst / self._share)

    def hold(self, chat: int | str | None, seconds: float) -> None:
        """Telegram said wait (429): nothing more to this chat for ``seconds``."""
        if chat is None:
            return
        self.holds += 1
        self._held[chat] = max(self._held.get(chat, 0.0), self._clock() + seconds)
        self._dispatch()

    async def send(
        self, call: Call, attempt: Callable[[], Awaitable[tuple[int, bytes]]]
    ) -> tuple[int, bytes]:
        """Make one paced call; a 429 holds its chat, and a short one is waited out once."""
        await self.acquire(call)
        code, payload = await attempt()
        if code != 429:
            return code, payload
        seconds = retry_after_of(payload)
        self.hold(call.chat, 1.0 if seconds is None else seconds)
        if call.chat is None or seconds is None or seconds > WAIT_OUT_429:
            return code, payload
        await self.acquire(call)  # after the hold
        code, payload = await attempt()
        if code == 429:
            seconds = retry_after_of(payload)
            self.hold(call.chat, 1.0 if seconds is None else seconds)
        return code, payload

    def _chat_wait(self, call: Call, now: float) -> float:
        """Seconds until this call's chat may get it (0: now)."""
        if call.chat is None:
            return 0.0
        held = self._held.get(call.chat, 0.0) - now
        if held <= 0:
            self._held.pop(call.chat, None)
        if not self._charged(call):
            return max(held, 0.0)
        return max(held, self._bucket(call.chat, now).wait(now))

    def _charged(self, call: Call) -> bool:
        """Whether the call spends the budgets, or only waits out a 429 to its chat.

        Telegram's limits are on messages sent. An answer in a private chat is usually an
        edit (the choice made, shown in place) plus the next question; charging the edit
        would halve how many people the bot can answer a second and make every step of a
        report wait a second in its chat. In groups and channels the 20 a minute count
        edits too (and an edit without a chat, of an inline message, is counted overall).
        """
        return not call.edit or call.chat is None or self._is_group(call.chat)

    def _is_group(self, chat: int | str) -> bool:
        """Groups and channels: negative ids, or an @username (only channels have those)."""
        return isinstance(chat, str) or chat < 0

    def _bucket(self, chat: int | str, now: float) -> _Bucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= _PRUNE_AT:
                self._prune(now)
            rate, burst = self._limits(chat)
            bucket = self._chats[chat] = _Bucket(rate, burst, burst, now)
        return bucket

    def _prune(self, now: float) -> None:
        """Forget chats whose bucket has filled up again (they are as good as new)."""
        for chat, bucket in list(self._chats.items()):
            if bucket.wait(now) == 0 and bucket.tokens >= bucket.burst and chat not in self._held:
                del self._chats[chat]

    def _dispatch(self) -> None:
        """Let go every waiter that may go now, most important first; time the next look."""
        now = self._clock()
        next_look = math.inf
        spent = False  # the overall budget is used up for now
        for waiter in list(self._waiters):
            if waiter.granted.done():  # cancelled meanwhile
                self._waiters.remove(waiter)
                continue
            call = waiter.call
            chat_wait = self._chat_wait(call, now)
            if chat_wait > 0:
                next_look = min(next_look, now + chat_wait)
                continue  # its chat must wait; others behind it need not
            if self._charged(call):
                if spent:
                    continue  # behind a more important one that waits for the budget
                overall = self._global.wait(now)
                if overall > 0:
                    next_look = min(next_look, now + overall)
                    spent = True
                    continue
                self._global.tokens -= call.cost
                if call.chat is not None:
                    self._bucket(call.chat, now).tokens -= call.cost
            self._waiters.remove(waiter)
            waiter.granted.set_result(None)
        self._schedule(next_look if self._waiters else math.inf)

    def _schedule(self, at: float) -> None:
        """Look again at ``at`` (monotonic seconds); inf: no need."""
        if at == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = at
        if at < math.inf:
            delay = max(at - self._clock(), 0.0)
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        self._dispatch()
