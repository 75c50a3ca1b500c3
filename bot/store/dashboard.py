"""What the web dashboard asks of storage, the same for every backend: the board's query and
the login links and sessions. Each backend runs the statements built here (``?`` placeholders;
PostgreSQL numbers them); only how a list and a moment are passed differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.store.sql import TICKET_COLUMNS

Column = Literal["new", "assigned", "accepted", "in_progress", "waiting", "resolved"]
COLUMNS: tuple[Column, ...] = ("new", "assigned", "accepted", "in_progress", "waiting", "resolved")
"""The board's columns, in order: open tickets by where they are, and resolved ones that wait
for the owner's word ("in progress": accepted, and the assignee said they are on it)."""

STATUSES: tuple[str, ...] = ("new", "assigned", "accepted", "resolved", "closed", "cancelled")

# "In progress": accepted, and the assignee said they are on it since it was last accepted.
# tickets.work_started keeps that on the ticket (add_event sets and clears it), so a column
# is an index range instead of a look into every ticket's timeline.
WORK_STARTED: dict[str, int] = {"started": 1, "accepted": 0}
SET_WORK_STARTED = "UPDATE tickets SET work_started = ? WHERE id = ?"
_COLUMN_SQL: dict[str, str] = {
    "new": "t.status = 'new'",
    "assigned": "t.status = 'assigned'",
    "accepted": "t.status = 'accepted' AND t.work_started = 0 AND t.paused_at IS NULL",
    "in_progress": "t.status = 'accepted' AND t.work_started = 1 AND t.paused_at IS NULL",
    "waiting": "t.status = 'accepted' AND t.paused_at IS NOT NULL",
    "resolved": "t.status = 'resolved'",
}
OPEN_STATUSES = frozenset({"new", "assigned", "accepted"})
_OVERDUE = (
    "(t.overdue = 1"
    " OR (t.status IN ('new', 'assigned') AND t.accept_due < ?)"
    " OR (t.status = 'accepted' AND t.paused_at IS NULL AND t.resolve_due < ?))"
)
# The most pressing first: the deadline the ticket is running against, then the oldest. When
# every status asked for runs against the same deadline, the plain column lets an index
# (status, …, deadline) give the page without sorting every match.
_BY_ACCEPT = " ORDER BY t.accept_due, t.id"
_BY_RESOLVE = " ORDER BY t.resolve_due, t.id"
# Waiting for the owner: the clock stands still, so the longest wait comes first.
_BY_WAITING = " ORDER BY t.paused_at, t.id"
_BY_EITHER = (
    " ORDER BY CASE WHEN t.status = 'accepted' THEN t.resolve_due ELSE t.accept_due END, t.id"
)
_ACCEPT_SIDE = frozenset({"new", "assigned"})
_RESOLVE_SIDE = frozenset({"accepted", "in_progress"})


def _order(query: BoardQuery) -> str:
    if query.column == "waiting":
        return _BY_WAITING
    if query.column is not None:
        return _BY_RESOLVE if query.column in _RESOLVE_SIDE else _BY_ACCEPT
    if query.statuses is not None and query.statuses <= _ACCEPT_SIDE:
        return _BY_ACCEPT
    if query.statuses == frozenset({"accepted"}):
        return _BY_RESOLVE
    return _BY_EITHER


@dataclass(frozen=True)
class BoardQuery:
    """Which tickets a board column or list shows. ``None`` means no restriction; the reader's
    patch comes in as ``departments``/``estates`` already narrowed to what they may see."""

    column: Column | None = None
    statuses: frozenset[str] | None = None
    departments: frozenset[str] | None = None
    estates: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    urgencies: frozenset[str] | None = None
    assignee: int | None = None
    unassigned: bool = False
    overdue: bool = False
    number: str | None = None  # exact ticket number
    text: str | None = None  # a piece of the description
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class BoardPage:
    """One page of a board query, and how many tickets match in all."""

    tickets: list[Any]
    total: int


@dataclass(frozen=True)
class BoardSql:
    """The statements of a board query. ``page`` takes ``params`` then limit and offset;
    ``count`` and ``all_ids`` take ``params``; ``rows`` is the select list, ``order`` the
    ORDER BY, for reading given ids' rows."""

    page: str
    count: str
    all_ids: str
    rows: str
    order: str
    params: list[Any]
    reads_text: bool


def board_sql(
    query: BoardQuery,
    now: datetime,
    in_list: Callable[[str, list[str]], tuple[str, list[Any]]],
    moment: Callable[[datetime], Any],
) -> BoardSql:
    """The statements for a board query (see BoardSql).

    ``in_list(column, values)`` gives the backend's "column in these values" and its
    parameters; ``moment`` turns a datetime into what the backend compares timestamps with.
    """
    where = ["1 = 1"]
    params: list[Any] = []
    if query.column is not None:
        where.append(_COLUMN_SQL[query.column])
    statuses = query.statuses
    if query.overdue:
        # Overdue concerns open tickets only (a closed one may still carry the flag).
        statuses = OPEN_STATUSES if statuses is None else statuses & OPEN_STATUSES
    for column, values in (
        ("t.status", statuses),
        ("t.department", query.departments),
        ("t.estate", query.estates),
        ("t.category", query.categories),
        ("t.urgency", query.urgencies),
    ):
        if values is not None:
            clause, args = in_list(column, sorted(values))
            where.append(clause)
            params.extend(args)
    if query.unassigned:
        where.append("t.assignee_id IS NULL")
    elif query.assignee is not None:
        where.append("t.assignee_id = ?")
        params.append(query.assignee)
    if query.overdue:
        where.append(_OVERDUE)
        params.extend([moment(now), moment(now)])
    if query.number is not None:
        where.append("t.number = ?")
        params.append(query.number)
    if query.text is not None:
        # A plain substring, case-insensitive for Latin letters; % and _ are literal.
        escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("LOWER(t.description) LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped.lower()}%")
    condition = " AND ".join(where)
    columns = ", ".join(f"t.{c.strip()}" for c in TICKET_COLUMNS.split(","))
    # The page's ids first, from an index alone where the filters allow (tickets_board_*),
    # then only those rows: sorting every match's whole row would read the table for all.
    order = _order(query)
    ids = f"SELECT t.id FROM tickets t WHERE {condition}{order} LIMIT ? OFFSET ?"
    page = f"SELECT {columns} FROM tickets t WHERE t.id IN ({ids}){order}"
    count = f"SELECT COUNT(*) AS n FROM tickets t WHERE {condition}"
    # A text search reads every candidate's description anyway: all matching ids in one pass
    # give the total and the page at once.
    all_ids = f"SELECT t.id FROM tickets t WHERE {condition}{order}"
    rows = f"SELECT {columns} FROM tickets t"
    return BoardSql(page, count, all_ids, rows, order, params, query.text is not None)


# ----- login links and sessions ---------------------------------------------------------------

LoginUse = Literal["ok", "unknown", "used", "expired"]

ADD_LOGIN = (
    "INSERT INTO web_logins (token_hash, telegram_id, created_at, expires_at) VALUES (?, ?, ?, ?)"
)
USE_LOGIN = (
    "UPDATE web_logins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
    " AND expires_at > ? RETURNING telegram_id"
)
LOGIN_STATE = "SELECT used_at, expires_at FROM web_logins WHERE token_hash = ?"
PRUNE_LOGINS = "DELETE FROM web_logins WHERE expires_at < ?"
ADD_SESSION = (
    "INSERT INTO web_sessions (session_hash, telegram_id, csrf, created_at, last_seen)"
    " VALUES (?, ?, ?, ?, ?)"
)
TOUCH_SESSION = (
    "UPDATE web_sessions SET last_seen = ? WHERE session_hash = ? AND last_seen >= ?"
    " RETURNING telegram_id, csrf"
)
END_SESSION = "DELETE FROM web_sessions WHERE session_hash = ?"
PRUNE_SESSIONS = "DELETE FROM web_sessions WHERE last_seen < ?"


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose it is and the token its state-changing requests carry."""

    telegram_id: int
    csrf: str
