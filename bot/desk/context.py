"""What the use cases need, handed to them: settings, storage, texts, calendars, the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import utc_now
from bot.config import Settings
from bot.core.calendars import Calendars
from bot.store.interfaces import Storage
from bot.texts import Catalog


class Doorbell(asyncio.Event):
    """Rung after a commit that queued messages; the outbox worker waits on it."""

    def ring(self) -> None:
        """New messages were committed: whoever delivers them should look now."""
        self.set()


@dataclass
class DeskServices:
    """The channel-neutral part of a running bot; one per bot."""

    settings: Settings
    store: Storage
    catalog: Catalog
    calendars: Calendars
    clock: Callable[[], datetime] = utc_now
    # Created with the services, so the desk rings and the worker listens without a setter.
    bell: Doorbell = field(default_factory=Doorbell)
