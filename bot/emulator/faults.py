"""Fault injection (5xx, slow answers, forced 429s, flood control) and call statistics."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field

EDITING_METHODS = frozenset(
    {"editmessagetext", "editmessagecaption", "editmessagereplymarkup", "editmessagemedia"}
)
SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "sendmediagroup",
        "senddocument",
        "sendvideo",
        "sendvoice",
        "sendsticker",
        "sendlocation",
        "sendcontact",
        "copymessage",
        "forwardmessage",
    }
)
FAULTABLE_METHODS = SENDING_METHODS | frozenset(
    {
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "deletemessage",
        "answercallbackquery",
        "sendchataction",
    }
)


@dataclass
class Bucket:
    """A token bucket: ``rate`` messages per second with ``burst`` capacity."""

    rate: float
    burst: float


@dataclass
class RateLimits:
    """Telegram's flood limits; ``scale`` multiplies every rate (10 = ten times laxer)."""

    enabled: bool = False
    per_chat: Bucket | None = field(default_factory=lambda: Bucket(1.0, 3))
    per_group: Bucket | None = field(default_factory=lambda: Bucket(20 / 60, 20))
    global_: Bucket | None = field(default_factory=lambda: Bucket(30.0, 30))
    scale: float = 1.0
    # Edits of messages in groups count against the group's limit too (as on Telegram); off
    # by default so that tests of other things keep the emulator's older, laxer count.
    group_edits: bool = False


@dataclass
class Faults:
    """Runtime-settable fault switches; all off by default."""

    error_rate_5xx: float = 0.0
    error_code_5xx: int = 502
    next_5xx: int = 0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    next_slow: int = 0
    force_429: int = 0
    force_429_retry_after: int = 3
    force_429_methods: frozenset[str] = frozenset({"sendMessage"})
    rate_limits: RateLimits = field(default_factory=RateLimits)
    affect_get_updates: bool = False
    methods: frozenset[str] | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(1234))

    def reset(self) -> None:
        """Turn every fault off again."""
        fresh = Faults(rng=self.rng)
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def applies_to(self, method: str) -> bool:
        """Return whether faults hit this method (send/edit methods unless configured)."""
        lowered = method.lower()
        if lowered == "getupdates":
            return self.affect_get_updates
        if self.methods is not None:
            return lowered in {m.lower() for m in self.methods}
        return lowered in FAULTABLE_METHODS

    def take_5xx(self) -> bool:
        """Decide whether this call is answered with an injected 5xx."""
        if self.next_5xx > 0:
            self.next_5xx -= 1
            return True
        return self.error_rate_5xx > 0 and self.rng.random() < self.error_rate_5xx

    def take_slow(self) -> bool:
        """Decide whether this call's answer is delayed by ``slow_seconds``."""
        if self.next_slow > 0:
            self.next_slow -= 1
            return True
        return self.slow_rate > 0 and self.rng.random() < self.slow_rate

    def take_forced_429(self, method: str) -> bool:
        """Decide whether this call gets one of the ``force_429`` answers."""
        wanted = {m.lower() for m in self.force_429_methods}
        if self.force_429 > 0 and method.lower() in wanted:
            self.force_429 -= 1
            return True
        return False


class FloodControl:
    """Token buckets per chat, per group and global, enforcing ``RateLimits``."""

    def __init__(self) -> None:
        self._state: dict[tuple[str, int], tuple[float, float]] = {}

    def reset(self) -> None:
        """Forget all consumed capacity."""
        self._state.clear()

    def check(self, limits: RateLimits, chat_id: int, now: float | None = None) -> int | None:
        """Consume one message for ``chat_id``; return ``retry_after`` seconds if over a limit."""
        if not limits.enabled:
            return None
        now = time.monotonic() if now is None else now
        is_group = chat_id < 0
        candidates = [
            (
                ("group" if is_group else "chat", chat_id),
                limits.per_group if is_group else limits.per_chat,
            ),
            (("global", 0), limits.global_),
        ]
        levels: list[tuple[tuple[str, int], float]] = []
        wait = 0.0
        for key, bucket in candidates:
            if bucket is None:
                continue
            rate = bucket.rate * limits.scale
            tokens, last = self._state.get(key, (bucket.burst, now))
            tokens = min(bucket.burst, tokens + (now - last) * rate)
            if tokens < 1:
                wait = max(wait, (1 - tokens) / rate)
            levels.append((key, tokens))
        if wait > 0:
            for key, tokens in levels:
                self._state[key] = (tokens, now)
            return max(1, math.ceil(wait))
        for key, tokens in levels:
            self._state[key] = (tokens - 1, now)
        return None


@dataclass
class Stats:
    """Counters of what the fake answered."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    injected_5xx: int = 0
    slow: int = 0
    forced_429: int = 0
    flood_429: int = 0
    unknown: int = 0
    updates_enqueued: int = 0
    updates_delivered: int = 0

    @property
    def sent_429(self) -> int:
        """All 429 answers, forced and from flood control."""
        return self.forced_429 + self.flood_429
