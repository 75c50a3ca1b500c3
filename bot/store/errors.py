"""Why a database cannot be used: each says what to do, and never carries a password."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


class StorageUnavailable(StorageError):
    """The database server cannot be reached (or refuses us) at start."""

    def __init__(self, host: str, port: int | None, reason: str) -> None:
        where = host if port is None else f"{host}:{port}"
        super().__init__(f"cannot reach the database at {where}: {reason}")
        self.host = host
        self.port = port
        self.reason = reason


class SchemaTooNew(StorageError):
    """The database was upgraded by a newer release than this one."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"the database schema is version {found}, newer than this release knows ({known}):"
            " run the newer release, or restore a backup made before the upgrade"
        )
        self.found = found
        self.known = known


class NotOurDatabase(StorageError):
    """The database holds tables EstateDesk did not create."""

    def __init__(self, tables: list[str]) -> None:
        shown = ", ".join(sorted(tables)[:5])
        super().__init__(
            f"the database is not an EstateDesk database (it has other tables: {shown});"
            " point storage.url at an empty database or one EstateDesk made"
        )
        self.tables = tables
