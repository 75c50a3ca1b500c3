"""What the handlers need, handed to them explicitly (not fished out of ``bot_data``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from telegram import Update

from bot.config import Settings
from bot.core.calendars import Calendars
from bot.core.flow import Flow
from bot.core.language import pick_language
from bot.core.models import Person
from bot.store import Store
from bot.texts import Catalog


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Settings, storage, texts, flows and the clock; one per running bot."""

    settings: Settings
    store: Store
    catalog: Catalog
    flows: dict[str, Flow]
    calendars: Calendars
    clock: Callable[[], datetime] = utc_now
    wake_outbox: Callable[[], None] = field(default=lambda: None)

    def new_token(self) -> str:
        """A short random id for a conversation, carried by its buttons."""
        return secrets.token_urlsafe(6)[:8]


@dataclass(frozen=True)
class Visitor:
    """The person behind an update, with the language to answer in."""

    person: Person
    lang: str
    chat_id: int

    @property
    def id(self) -> int:
        """Their Telegram user id."""
        return self.person.telegram_id


async def visitor_of(update: Update, services: Services) -> Visitor | None:
    """Record the sender's profile and work out their language; None for updates without one."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    person = await services.store.upsert_person(
        Person(
            telegram_id=user.id,
            first_name=user.first_name[:64],
            last_name=(user.last_name or "")[:64] or None,
            username=user.username,
            language_code=user.language_code,
        ),
        services.clock(),
    )
    settings = services.settings
    lang = pick_language(
        person.language, person.language_code, settings.languages, settings.default_language
    )
    return Visitor(person=person, lang=lang, chat_id=chat.id)
