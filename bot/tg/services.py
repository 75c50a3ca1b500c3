"""What the handlers need, handed to them explicitly (not fished out of ``bot_data``)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from telegram import Update

from bot.clock import utc_now
from bot.config import Settings
from bot.core.calendars import Calendars
from bot.core.flow import Flow
from bot.core.language import pick_language
from bot.core.models import Person
from bot.store import Storage
from bot.texts import Catalog


async def _no_reply(chat_id: int) -> None:
    """Before the outbox runs there is nothing to hurry."""


@dataclass
class Services:
    """Settings, storage, texts, flows and the clock; one per running bot."""

    settings: Settings
    store: Storage
    catalog: Catalog
    flows: dict[str, Flow]
    calendars: Calendars
    clock: Callable[[], datetime] = utc_now
    wake_outbox: Callable[[], None] = field(default=lambda: None)
    # Sends a chat's queued answer at once (the worker would send it in turn).
    deliver_reply: Callable[[int], Awaitable[None]] = field(default=_no_reply)
    # Profiles as last stored, so an unchanged one is not written again on every update.
    people: dict[int, Person] = field(default_factory=dict)
    # Updates up to this id were seen before this start; only they can come again.
    handled_before: int = 0

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
    seen = Person(
        telegram_id=user.id,
        first_name=user.first_name[:64],
        last_name=(user.last_name or "")[:64] or None,
        username=user.username,
        language_code=user.language_code,
    )
    person = services.people.get(user.id)
    if person is None or replace(person, language=None) != seen:
        # Written only when new or changed: one write less for almost every update.
        person = await services.store.upsert_person(seen, services.clock())
        services.people[user.id] = person
    settings = services.settings
    lang = pick_language(
        person.language, person.language_code, settings.languages, settings.default_language
    )
    return Visitor(person=person, lang=lang, chat_id=chat.id)
