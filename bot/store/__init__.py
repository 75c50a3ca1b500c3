"""Storage: the interfaces the bot depends on (``interfaces``) and their backends.

SQLite (``bot.store.sqlite``) is the only backend today and holds every SQL statement; ``Store``
is its name here so existing importers keep working.
"""

from __future__ import annotations

from bot.store.interfaces import ConversationGone, Storage, SurveyChange
from bot.store.sqlite import MIGRATIONS, Store

__all__ = ["MIGRATIONS", "ConversationGone", "Storage", "Store", "SurveyChange"]
