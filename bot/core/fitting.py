"""Keeping texts within Telegram's lengths without losing what a person needs to read.

Telegram refuses a message over 4096 characters and a photo caption over 1024. A long free
text (a description, a result note, a relayed message) gives way first, visibly ("…"), so the
question and the buttons after it stay; a text that is long in itself is split into messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, shortened visibly with "…" when it is longer."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def fill(
    render: Callable[[Mapping[str, object]], str],
    params: Mapping[str, object],
    limit: int,
    fields: Iterable[str],
) -> str:
    """A template rendered within ``limit``: its longest free-text fields give way first."""
    values = dict(params)
    names = [f for f in fields if isinstance(values.get(f), str)]
    text = render(values)
    for _ in range(2 * len(names) + 1):
        over = len(text) - limit
        longest = max(names, key=lambda f: len(str(values[f])), default=None)
        if over <= 0 or longest is None or len(str(values[longest])) <= 1:
            break
        value = str(values[longest])
        values[longest] = clip(value, max(len(value) - over, 1))
        text = render(values)
    return clip(text, limit)  # only if the fixed words alone are too long


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A long text as messages within ``limit``, split between lines (a long line between
    words); parts with nothing to show are left out, as Telegram refuses empty messages."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _pieces(line, limit):
            joined = f"{current}\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
                continue
            parts.append(current)
            current = piece
    parts.append(current)
    return [part for part in parts if part.strip()]


def _pieces(line: str, limit: int) -> list[str]:
    """A line cut into pieces within ``limit``, at a space where there is one."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        cut = limit if cut <= 0 else cut
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces
