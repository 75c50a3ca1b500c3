"""People in PostgreSQL: Telegram profiles and the language each chose."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.models import Person
from bot.store import sql
from bot.store.postgres.db import PgBase, pg
from bot.store.reads import CommonPeople


class PgPeople(PgBase, CommonPeople):
    """PersonStore over PostgreSQL."""

    async def upsert_person(self, person: Person, now: datetime) -> Person:
        """Record a user's current Telegram profile; returns it with the chosen language."""
        async with self._tx() as db:
            language = await db.fetchval(
                pg(sql.UPSERT_PERSON),
                person.telegram_id,
                person.first_name,
                person.last_name,
                person.username,
                person.language_code,
                now,
                now,
            )
        return replace(person, language=language)

    async def set_language(self, telegram_id: int, language: str, now: datetime) -> None:
        """Remember the language a user chose."""
        await self._execute(
            sql.SET_LANGUAGE,
            language,
            now,
            telegram_id,
        )

    async def set_phone(self, telegram_id: int, phone: str | None, now: datetime) -> None:
        """Keep an owner's phone (None: they chose not to give one); either way it was asked."""
        await self._execute(sql.SET_PHONE, phone, now, telegram_id)
