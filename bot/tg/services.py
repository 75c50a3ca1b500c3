"""What the handlers need, handed to them explicitly (not fished out of ``bot_data``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

from telegram import Update

from bot.core.flow import Flow
from bot.core.language import pick_language
from bot.core.models import Person
from bot.desk.context import DeskServices


@dataclass
class Services(DeskServices):
    """The desk's services plus what the Telegram handlers need: flows, profiles, replies."""

    flows: dict[str, Flow] = field(default_factory=dict)
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
