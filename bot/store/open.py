"""Opening the configured database: the backend is chosen by ``storage.url``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.store.interfaces import Storage

if TYPE_CHECKING:
    from bot.config import Settings


@runtime_checkable
class HoldsInstanceLock(Protocol):
    """A backend whose server keeps one bot per database (SQLite uses a lock file instead)."""

    async def hold_instance_lock(self) -> bool:
        """Take the lock for this connection's life; False when another bot holds it."""
        ...


@runtime_checkable
class Versioned(Protocol):
    """A backend that tells its schema version (both do; the bot itself never asks)."""

    async def schema_version(self) -> int:
        """The number of migrations applied."""
        ...


async def open_storage(settings: Settings, name: str | None = None) -> Storage:
    """Open (and migrate) the database ``settings.storage`` names, SQLite or PostgreSQL;
    ``name`` names PostgreSQL's sessions (the replica's id).

    Raises the errors of ``bot.store.errors`` (unreachable, schema too new, not ours).
    """
    storage = settings.storage
    if storage.backend == "postgresql":
        # Imported here: an SQLite installation never loads the PostgreSQL driver.
        from bot.store.postgres import PostgresStore

        return await PostgresStore.open(storage.url, name)
    from bot.store.sqlite import Store

    return await Store.open(storage.path)
