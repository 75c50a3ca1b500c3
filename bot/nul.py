"""U+0000 kept out of stored text: PostgreSQL's text and JSON refuse it, SQLite's take it.

An update carrying one would fail its transaction on one backend and not the other. It is
replaced with U+FFFD where text enters (the Bot API transport, copy-db), which keeps both
backends alike and loses nothing a person could see.
"""

from __future__ import annotations

import re

# U+0000 as JSON writes it, not preceded by an escaping backslash (``\\u0000`` is the text
# "\u0000", which stays).
_ESCAPED_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul(body: bytes) -> bytes:
    """A JSON document with every U+0000 in its strings as U+FFFD."""
    if b"\\u0000" not in body:
        return body
    return _ESCAPED_NUL.sub(rb"\1\\ufffd", body)


def text_without_nul(text: str) -> str:
    """``text`` with U+0000 as U+FFFD."""
    return text.replace("\x00", "\ufffd")
