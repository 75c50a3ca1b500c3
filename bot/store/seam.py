"""The seam between the shared storage code and a backend's driver.

Each backend's base class (``SqliteBase``, ``PgBase``) implements ``Seam``: how a shared
statement (``?`` placeholders, as in ``bot.store.sql``) is run for its rows or its row count,
how a moment is passed and read back, how JSON text is read, and how ``column IN (…)`` is said.
The classes in ``bot.store.reads`` and ``bot.store.reads_web`` are written once over it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from bot.store.reports import Scope
from bot.store.rows import Row


class Seam(ABC):
    """What a backend gives the shared reads: its driver, its moments, its lists."""

    @abstractmethod
    async def _rows(self, statement: str, params: Sequence[Any] = (), /) -> Sequence[Row]:
        """The rows of one shared statement (``?`` placeholders), run on its own."""

    @abstractmethod
    async def _row(self, statement: str, params: Sequence[Any] = (), /) -> Row | None:
        """The first row of one shared statement (a lone write with RETURNING: committed), or
        None."""

    @abstractmethod
    async def _change(self, statement: str, params: Sequence[Any] = (), /) -> int:
        """Run one writing statement, committed on its own; how many rows it touched."""

    @staticmethod
    @abstractmethod
    def _at(moment: datetime, /) -> Any:
        """A moment as the driver takes it as a parameter."""

    @staticmethod
    @abstractmethod
    def _read(value: Any, /) -> datetime:
        """A stored moment as the driver returns it, read back as an aware datetime."""

    @staticmethod
    @abstractmethod
    def _json(column: str, key: str) -> str:
        """SQL for the text of a JSON column's top-level ``key`` (``key`` is ours, not input)."""

    @staticmethod
    @abstractmethod
    def _among(column: str, values: Collection[Any], kind: str = "text") -> tuple[str, list[Any]]:
        """``column`` is one of ``values`` (of SQL type ``kind``): the condition and its
        parameters (SQLite: ``IN (?, …)``; PostgreSQL: ``= ANY(?::kind[])``)."""

    def _scope_sql(self, scope: Scope, alias: str) -> tuple[str, list[Any]]:
        """A report scope as SQL conditions on ``alias`` (starting with AND), parameters."""
        where, params = "", []
        for column, values in (("department", scope.departments), ("estate", scope.estates)):
            if values is not None:
                condition, more = self._among(f"{alias}.{column}", sorted(values))
                where += f" AND {condition}"
                params.extend(more)
        return where, params
