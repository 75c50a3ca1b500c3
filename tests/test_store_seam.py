"""The storage code both backends share is written once: each backend keeps only its seam.

``bot.store.reads`` and ``bot.store.reads_web`` hold the calls every backend runs alike over
``bot.store.seam.Seam``; the contract suite (tests/test_store_contract.py) proves they behave
alike on SQLite and PostgreSQL. These tests keep them shared (a backend that writes one of them
again fails here) and check the seam's own pieces on both backends.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import Store, reads, reads_web
from bot.store.postgres import PostgresStore
from bot.store.seam import Seam
from bot.store.sqlite.db import SqliteBase
from tests.pg import pg_server, pg_url  # noqa: F401

SHARED = [
    cls
    for module in (reads, reads_web)
    for _, cls in inspect.getmembers(module, inspect.isclass)
    if issubclass(cls, Seam) and cls is not Seam and cls.__module__ == module.__name__
]


def test_there_is_something_shared() -> None:
    """Every aggregate the backends had written twice is among the shared classes."""
    names = {cls.__name__ for cls in SHARED}
    assert names == {
        "CommonUpdateLog",
        "CommonPeople",
        "CommonHomes",
        "CommonConversations",
        "CommonTickets",
        "CommonOutbox",
        "CommonCards",
        "CommonSurveys",
        "CommonReports",
        "CommonDashboard",
    }


@pytest.mark.parametrize("backend", [Store, PostgresStore], ids=["sqlite", "postgres"])
@pytest.mark.parametrize("shared", SHARED, ids=lambda cls: cls.__name__)
def test_backends_run_the_shared_code(backend: type[Seam], shared: type[Seam]) -> None:
    """The store's method is the shared one itself: no backend wrote it again."""
    calls = [name for name, _ in inspect.getmembers(shared, inspect.iscoroutinefunction)]
    public = [name for name in calls if not name.startswith("_")]
    assert public, shared
    for name in public:
        assert getattr(backend, name) is getattr(shared, name), f"{backend.__name__}.{name}"


def test_a_backend_missing_a_seam_piece_cannot_be_made() -> None:
    """The seam is abstract: a backend that forgets a piece fails when built, not mid-request."""

    class Half(reads.CommonTickets):
        pass

    with pytest.raises(TypeError, match="_among"):
        Half()  # type: ignore[abstract]


@pytest.fixture(params=["sqlite", "postgres"])
async def seam(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Seam]:
    """A fresh store of each backend, seen as its seam."""
    store: Store | PostgresStore
    if request.param == "sqlite":
        store = await Store.open(tmp_path / "seam.sqlite3")
    else:
        store = await PostgresStore.open(request.getfixturevalue("pg_url"))
    try:
        yield store
    finally:
        await store.close()


async def test_seam_lists_moments_and_json_alike(seam: Seam) -> None:
    """``IN`` a list (empty too), a moment there and back, and JSON text read the same way."""
    cast = "" if isinstance(seam, SqliteBase) else "::text"
    for values, expected in ((["b", "c", "z"], ["b", "c"]), ([], [])):
        condition, params = seam._among("v.x", values)
        rows = await seam._rows(
            f"SELECT v.x FROM (SELECT 'a'{cast} AS x UNION ALL SELECT 'b' UNION ALL SELECT 'c')"
            f" AS v WHERE {condition} ORDER BY v.x",
            params,
        )
        assert [r["x"] for r in rows] == expected
    moment = datetime(2033, 2, 28, 19, 0, 0, 123456, tzinfo=UTC)
    await seam._change(
        "INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)", (7, seam._at(moment))
    )
    row = await seam._row("SELECT handled_at FROM handled_updates WHERE update_id = ?", (7,))
    assert row is not None and seam._read(row["handled_at"]) == moment
    assert await seam._change("DELETE FROM handled_updates WHERE update_id = ?", (8,)) == 0
    assert await seam._change("DELETE FROM handled_updates WHERE update_id = ?", (7,)) == 1
    json_text = '\'{"card": "followup:3", "n": 1}\'' + ("" if cast == "" else "::jsonb")
    row = await seam._row(f"SELECT {seam._json(json_text, 'card')} AS card")
    assert row is not None and row["card"] == "followup:3"
