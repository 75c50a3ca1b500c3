"""People in SQLite: Telegram profiles and the language each chose."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.models import Person
from bot.store import sql
from bot.store.reads import CommonPeople
from bot.store.sqlite.db import SqliteBase, ts


class SqlitePeople(SqliteBase, CommonPeople):
    """PersonStore over SQLite."""

    async def upsert_person(self, person: Person, now: datetime) -> Person:
        """Record a user's current Telegram profile; returns it with the chosen language."""
        async with self._tx() as db:
            cursor = await db.execute(
                sql.UPSERT_PERSON,
                (
                    person.telegram_id,
                    person.first_name,
                    person.last_name,
                    person.username,
                    person.language_code,
                    ts(now),
                    ts(now),
                ),
            )
            row = await cursor.fetchone()
        return replace(person, language=row["language"] if row else None)

    async def set_language(self, telegram_id: int, language: str, now: datetime) -> None:
        """Remember the language a user chose."""
        async with self._tx() as db:
            await db.execute(sql.SET_LANGUAGE, (language, ts(now), telegram_id))

    async def set_phone(self, telegram_id: int, phone: str | None, now: datetime) -> None:
        """Keep an owner's phone (None: they chose not to give one); either way it was asked."""
        async with self._tx() as db:
            await db.execute(sql.SET_PHONE, (phone, ts(now), telegram_id))
