"""The use cases (bot/desk) are channel- and storage-neutral; their buttons name actions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.core.models import action_ref, parse_action_ref
from bot.tg import callbacks as cb

ROOT = Path(__file__).resolve().parent.parent
# Telegram, the SQL drivers and the adapters built on them: bot/desk reaches none of them,
# not even through the modules it imports.
FORBIDDEN = ("telegram", "aiosqlite", "sqlite3", "asyncpg", "psycopg", "bot.tg", "bot.store.sqlite")


def _module_file(name: str) -> Path | None:
    """The file of a bot.* module (a package's __init__.py), None for anything else."""
    if name != "bot" and not name.startswith("bot."):
        return None
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every module a file imports by name (at any depth, under TYPE_CHECKING too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # ``from bot.desk import tickets`` imports a module, not a name.
            names.update(
                f"{node.module}.{a.name}"
                for a in node.names
                if _module_file(f"{node.module}.{a.name}") is not None
            )
    return names


def _reached(start: str) -> dict[str, str]:
    """Every module ``start`` imports, directly or through bot modules: name → who imports it.

    Parents' ``__init__`` are not followed: ``bot.store.interfaces`` is the dependency, even
    though Python runs ``bot/store/__init__.py`` (which opens the SQLite backend) on the way.
    """
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None:
            continue
        for imported in _imports(path):
            if imported not in seen:
                seen[imported] = name
                todo.append(imported)
    return seen


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN)


DESK_MODULES = sorted(
    f"bot.desk.{p.stem}" if p.stem != "__init__" else "bot.desk"
    for p in (ROOT / "bot" / "desk").glob("*.py")
)


@pytest.mark.parametrize("module", DESK_MODULES)
def test_desk_imports_neither_telegram_nor_sql(module: str) -> None:
    reached = _reached(module)
    bad = sorted(f"{name} (imported by {by})" for name, by in reached.items() if _forbidden(name))
    assert not bad, f"{module} reaches the channel or the database:\n" + "\n".join(bad)


def test_the_check_sees_through_imports() -> None:
    # The Telegram adapter does reach PTB, and the store package reaches its SQLite backend.
    assert any(_forbidden(name) for name in _reached("bot.tg.services"))
    assert "bot.store.sqlite" in _reached("bot.store")
    assert len(DESK_MODULES) >= 5


@pytest.mark.parametrize(
    ("ref", "press"),
    [
        (action_ref("owner.fixed", 42), cb.OwnerPress(42, "fixed")),
        (action_ref("owner.notfixed", 42), cb.OwnerPress(42, "notfixed")),
        (action_ref("ticket.view", 7), cb.TicketView(7)),
        (action_ref("menu.my"), cb.Menu("my")),
        (action_ref("survey.rate3", 9), cb.SurveyPress(9, 3)),
        (action_ref("followup.done", 9), cb.FollowupPress(9, "done")),
        (action_ref("followup.reopen", 9), cb.FollowupPress(9, "reopen")),
    ],
)
def test_outbox_buttons_become_callback_data_in_the_adapter(ref: str, press: cb.Callback) -> None:
    assert "#" in ref and cb.decode(ref) is None  # neutral data is never callback data
    assert cb.decode(cb.callback_data(ref)) == press


def test_rows_written_by_the_previous_release_still_deliver() -> None:
    # Pending outbox rows from before hold callback data: it passes through unchanged.
    old = [[("Fixed", "o:42:fixed"), ("Not fixed", "o:42:notfixed")], [("★", "s:9:5")]]
    assert cb.callback_rows(old) == old
    assert parse_action_ref("o:42:fixed") is None


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown button action"):
        cb.callback_data(action_ref("nonsense", 1))
