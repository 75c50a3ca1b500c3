"""Storage: the interfaces the bot depends on (``interfaces``) and their backends.

Two backends, SQLite (``bot.store.sqlite``, ``Store``: its name here so existing importers keep
working) and PostgreSQL (``bot.store.postgres``), share their statements (``sql``), row mappers
(``rows``) and every call they make alike (``reads``, ``reads_web``, over ``seam``).
"""

from __future__ import annotations

from bot.store.interfaces import ConversationGone, Storage, SurveyChange
from bot.store.sqlite import MIGRATIONS, Store

__all__ = ["MIGRATIONS", "ConversationGone", "Storage", "Store", "SurveyChange"]
