"""Options on buttons: what a button carries for an option, and pages of a long list.

Option ids come from config.yaml and an area id may be 48 characters, while Telegram's
callback data holds 64 bytes that also carry the conversation token and step id. So a button
carries the option's position in the step's list and a short tag of its id, never the id
itself: any id fits, and a list that changed under an old button (config.yaml edited and the
bot restarted) is noticed instead of picking the wrong thing. Telegram also refuses more than
100 buttons on a message, so a long list (an estate with 120 buildings) is shown a page at a
time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from bot.core.flowdata import Button, Option

PAGE_SIZE = 24  # options on one page: a screenful, well inside Telegram's 100 buttons
PICK = "i:"  # "i:<index>.<tag>"
LEGACY_PICK = "o:"  # "o:<option id>", on buttons sent before options were numbered
PAGE = "pg:"  # "pg:<page>", 0-based


def tag(option_id: str) -> str:
    """Four hex digits standing for an option id (enough to notice a changed list)."""
    return hashlib.blake2s(option_id.encode(), digest_size=2).hexdigest()


def pick_action(index: int, option: Option) -> str:
    """The button action that picks ``option``, the ``index``-th of its step."""
    return f"{PICK}{index}.{tag(option.id)}"


def is_pick(action: str) -> bool:
    """Whether an action picks an option (in either encoding)."""
    return action.startswith((PICK, LEGACY_PICK))


def picked(action: str, options: Sequence[Option]) -> tuple[int, Option] | None:
    """The (index, option) an action picks; None when the list no longer has it."""
    if action.startswith(LEGACY_PICK):
        wanted = action[len(LEGACY_PICK) :]
        return next(((i, o) for i, o in enumerate(options) if o.id == wanted), None)
    index, _, check = action[len(PICK) :].partition(".")
    if not index.isdigit() or int(index) >= len(options):
        return None
    option = options[int(index)]
    return (int(index), option) if tag(option.id) == check else None


def page_action(page: int) -> str:
    """The button action that shows page ``page`` (0-based) of a step's options."""
    return f"{PAGE}{page}"


def page_of(action: str) -> int | None:
    """The page a paging action asks for; None for any other action."""
    if not action.startswith(PAGE):
        return None
    number = action[len(PAGE) :]
    return int(number) if number.isdigit() and len(number) <= 6 else None


def pages(count: int) -> int:
    """How many pages ``count`` options take (at least one)."""
    return max(1, -(-count // PAGE_SIZE))


def window(options: Sequence[Option], page: int) -> tuple[int, int, Sequence[Option]]:
    """(page, index of its first option, its options), the page kept within range."""
    page = min(max(page, 0), pages(len(options)) - 1)
    start = page * PAGE_SIZE
    return page, start, options[start : start + PAGE_SIZE]


def page_with(index: int) -> int:
    """The page the ``index``-th option is on."""
    return index // PAGE_SIZE


def pager(text: Callable[..., str], count: int, page: int) -> tuple[tuple[Button, ...], ...]:
    """◂ Previous / More ▸ under a list longer than a page (``text`` gives the labels)."""
    row = []
    if page > 0:
        row.append(Button(text("flow.btn_prev_page"), page_action(page - 1)))
    if page + 1 < pages(count):
        row.append(Button(text("flow.btn_next_page"), page_action(page + 1)))
    return (tuple(row),) if row else ()


def page_note(text: Callable[..., str], count: int, page: int) -> list[str]:
    """Which page of how many, when there is more than one."""
    total = pages(count)
    return [text("flow.page", page=page + 1, pages=total, count=count)] if total > 1 else []


def rows(buttons: Sequence[Button], columns: int) -> tuple[tuple[Button, ...], ...]:
    """Lay buttons out ``columns`` to a row."""
    return tuple(tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns))
