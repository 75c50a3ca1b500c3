"""Texts kept within Telegram's lengths: long fields give way visibly, long texts are split."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.fitting import CAPTION_LIMIT, TEXT_LIMIT, clip, fill, split


def _resolved(params: Mapping[str, object]) -> str:
    return f"Ticket {params['number']} is resolved.\nResult: {params['note']}\n\nIs it fixed?"


def test_clip_marks_what_it_cuts() -> None:
    assert clip("short", 10) == "short"
    assert clip("x" * 11, 10) == "x" * 9 + "…"


def test_fill_trims_the_long_field_and_keeps_the_question() -> None:
    params = {"number": "HV-1", "note": "n" * 2000}
    text = fill(_resolved, params, CAPTION_LIMIT, ("note", "text"))
    assert len(text) == CAPTION_LIMIT
    assert text.startswith("Ticket HV-1 is resolved.\nResult: nnn")
    assert text.endswith("n…\n\nIs it fixed?")
    short = {"number": "HV-1", "note": "Done"}
    assert fill(_resolved, short, CAPTION_LIMIT, ("note",)) == _resolved(short)
    # With two long fields the longer gives way first, then both.
    two = fill(
        lambda p: f"{p['text']}|{p['note']}",
        {"text": "t" * 800, "note": "n" * 900},
        1000,
        ("note", "text"),
    )
    assert len(two) <= 1000 and two.count("…") >= 1 and "|" in two


def test_split_between_lines_and_words() -> None:
    lines = [f"line {i} " + "w" * 90 for i in range(100)]  # about 10,000 characters
    parts = split("\n".join(lines))
    assert len(parts) == 3 and all(len(p) <= TEXT_LIMIT for p in parts)
    assert "\n".join(parts) == "\n".join(lines)  # nothing lost, cut only between lines
    long_line = " ".join(["word"] * 2000)  # 9,999 characters on one line
    pieces = split(long_line)
    assert all(len(p) <= TEXT_LIMIT for p in pieces)
    assert " ".join(pieces).split() == long_line.split()
    assert split("") == [] and split("\n \n") == []
    assert split("hello") == ["hello"]
