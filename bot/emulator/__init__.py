"""A Telegram Bot API emulator plus simulated people: real PTB talks to it over HTTP.

The end-to-end tests run on it (as ``tests.fakebot``), and so does ``python -m bot demo``.

Typical use::

    async with FakeBotApi() as server:
        app = Application.builder().token(TOKEN).base_url(server.url).build()
        ...start polling...
        li = server.user(1001, "Li")
        await li.command("/start")
        menu = await li.wait_for_message()
        await li.press("New request")
        await li.wait_for_edit(menu.message_id)
"""

from .bot_message import BotMessage
from .errors import ApiError
from .faults import Bucket, Faults, RateLimits, Stats
from .server import FakeBotApi
from .state import ApiCall, BotState, CallbackAnswer, EditRecord, SentRecord, StoredMessage
from .user import Actor, FakeGroup, FakeUser, GroupMember

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
