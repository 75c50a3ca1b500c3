"""A fake Telegram Bot API server plus simulated people, for end-to-end tests with real PTB."""

from .errors import ApiError
from .faults import Bucket, Faults, RateLimits, Stats
from .server import FakeBotApi
from .state import ApiCall, BotState, CallbackAnswer, EditRecord, SentRecord, StoredMessage
from .user import Actor, BotMessage, FakeGroup, FakeUser, GroupMember

__all__ = [
    "Actor",
    "ApiCall",
    "ApiError",
    "BotMessage",
    "BotState",
    "Bucket",
    "CallbackAnswer",
    "EditRecord",
    "FakeBotApi",
    "FakeGroup",
    "FakeUser",
    "Faults",
    "GroupMember",
    "RateLimits",
    "SentRecord",
    "Stats",
    "StoredMessage",
]
