"""U+0000 in what Telegram sends becomes U+FFFD where it enters (PostgreSQL's text refuses it)."""

from __future__ import annotations

import json

import pytest

from bot.nul import without_nul


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("a\x00b", "a\ufffdb"),
        ("\x00\x00", "\ufffd\ufffd"),
        ("\\u0000", "\\u0000"),  # the six characters typed by a person stay as they are
        ("x\\\x00", "x\\\ufffd"),
        ("漏水 \x00 急", "漏水 \ufffd 急"),
        ("plain", "plain"),
    ],
)
def test_nul_in_an_update_becomes_a_replacement_character(sent: str, kept: str) -> None:
    for ascii_only in (True, False):
        body = json.dumps({"ok": True, "result": [{"text": sent}]}, ensure_ascii=ascii_only)
        assert json.loads(without_nul(body.encode()))["result"][0]["text"] == kept


def test_a_body_without_nul_is_returned_as_it_is() -> None:
    body = b'{"ok":true,"result":[]}'
    assert without_nul(body) is body
