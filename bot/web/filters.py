"""The board's query string → a BoardQuery, refusing anything forged with a clear 400."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from bot.config import Settings
from bot.core.scope import reach_of
from bot.store.dashboard import COLUMNS, STATUSES, BoardQuery
from bot.web.auth import Viewer

MAX_QUERY_STRING = 2048
MAX_SEARCH = 100
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
BOARD_STATUSES = frozenset({"new", "assigned", "accepted", "resolved"})
_NUMBER = re.compile(r"[A-Z0-9]{2,5}-\d{8}-\d{1,6}")
KNOWN = frozenset(
    {
        "column",
        "status",
        "estate",
        "department",
        "category",
        "urgency",
        "assignee",
        "overdue",
        "q",
        "page",
        "per_page",
    }
)


class BadFilter(ValueError):
    """A filter the board cannot take: ``key`` is a catalog key, ``params`` its values."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _ids(raw: str, known: set[str], name: str) -> frozenset[str]:
    values = frozenset(v for v in raw.split(",") if v)
    unknown = sorted(values - known)
    if unknown or not values:
        raise BadFilter("web.bad_filter", name=name, value=",".join(unknown)[:40] or raw[:40])
    return values


def _int(raw: str, name: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadFilter("web.bad_filter", name=name, value=raw[:40])
    return int(raw)


def board_query(settings: Settings, viewer: Viewer, args: Mapping[str, str]) -> BoardQuery:
    """The query a viewer's filters ask for, narrowed to what the viewer may see."""
    unknown = sorted(set(args) - KNOWN)
    if unknown:
        raise BadFilter("web.unknown_filter", name=unknown[0][:40])
    query = BoardQuery()
    if "column" in args:
        column = args["column"]
        if column not in COLUMNS:
            raise BadFilter("web.bad_filter", name="column", value=column[:40])
        query = replace(query, column=column)
    if "status" in args:
        query = replace(query, statuses=_ids(args["status"], set(STATUSES), "status"))
    known = {
        "estate": {e.id for e in settings.estates},
        "department": {d.id for d in settings.departments},
        "category": {c.id for c in settings.categories},
        "urgency": {u.id for u in settings.urgencies},
    }
    chosen = {name: _ids(args[name], ids, name) for name, ids in known.items() if name in args}
    query = replace(
        query,
        estates=chosen.get("estate"),
        departments=chosen.get("department"),
        categories=chosen.get("category"),
        urgencies=chosen.get("urgency"),
    )
    assignee = args.get("assignee")
    if assignee == "none":
        query = replace(query, unassigned=True)
    elif assignee is not None:
        staff_id = _int(assignee, "assignee", 1, 2**53)
        if settings.staff_member(staff_id) is None:
            raise BadFilter("web.bad_filter", name="assignee", value=assignee[:40])
        query = replace(query, assignee=staff_id)
    if "overdue" in args:
        if args["overdue"] not in ("0", "1"):
            raise BadFilter("web.bad_filter", name="overdue", value=args["overdue"][:40])
        query = replace(query, overdue=args["overdue"] == "1")
    search = args.get("q", "").strip()
    if len(search) > MAX_SEARCH:
        raise BadFilter("web.search_too_long", max=MAX_SEARCH)
    if search:
        upper = search.upper()
        if _NUMBER.fullmatch(upper):
            query = replace(query, number=upper)
        else:
            query = replace(query, text=search)
    if query.column is None and query.statuses is None and query.number is None:
        # The board's tickets unless asked otherwise: closed and withdrawn ones only on request
        # (status=closed …) or by number, so a search does not read years of history.
        query = replace(query, statuses=BOARD_STATUSES)
    per_page = _int(args.get("per_page", "20"), "per_page", 1, MAX_PER_PAGE)
    page = _int(args.get("page", "1"), "page", 1, MAX_PAGE)
    query = replace(query, limit=per_page, offset=(page - 1) * per_page)
    return narrowed(query, viewer)


def narrowed(query: BoardQuery, viewer: Viewer) -> BoardQuery:
    """Only what the viewer may see: their patch, or (plain staff) their own tickets."""
    if not viewer.manages:
        return replace(query, assignee=viewer.telegram_id, unassigned=False)
    reach = reach_of(viewer.member)
    departments = _meet(query.departments, reach.departments)
    estates = _meet(query.estates, reach.estates)
    return replace(query, departments=departments, estates=estates)


def _meet(asked: frozenset[str] | None, allowed: frozenset[str] | None) -> frozenset[str] | None:
    if allowed is None:
        return asked
    return allowed if asked is None else asked & allowed
