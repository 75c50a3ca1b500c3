"""zh-Hant is Hong Kong wording, not a character conversion of zh-Hans (issue 13, item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.texts import load_language

ROOT = Path(__file__).resolve().parent.parent
HANT = load_language("zh-Hant")

# Mainland words (or mixed forms) and the Hong Kong wording that replaces them.
MAINLAND = {
    "社區": "屋苑",
    "哪一棟": "哪一座",
    "樓棟": "座",
    "燃氣": "煤氣",
    "泄漏": "洩漏",
    "爆管": "爆水管",
    "裏": "裡",
    "相片": "照片",
    "報告問題": "報修／投訴",
    "撥打": "致電",
}


@pytest.mark.parametrize(("word", "instead"), sorted(MAINLAND.items()))
def test_no_mainland_wording(word: str, instead: str) -> None:
    found = [key for key, value in HANT.items() if word in value]
    assert found == [], f"{word!r} in {found}: write {instead!r}"


def test_a_flat_is_its_floor_and_unit_without_a_second_room_word() -> None:
    # "15樓B室" is what the owner types: the text must not add 室 again.
    assert HANT["ticket.unit"].format(unit="15樓B室") == "15樓B室"
    assert HANT["field.unit"] == "樓層及單位"
    assert "15樓B室" in HANT["intake.ask_unit"]


def test_the_menu_says_repair_or_complaint() -> None:
    assert "報修／投訴" in HANT["menu.new"]
    assert "屋苑" in HANT["intake.ask_estate"] and "座" in HANT["intake.ask_building"]


def test_config_names_are_hong_kong_wording_too() -> None:
    for path in (ROOT / "config.yaml", ROOT / "docs" / "examples" / "config-hk.yaml"):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = list(_hant_texts(raw))
        assert texts, path
        for word, instead in MAINLAND.items():
            bad = [t for t in texts if word in t]
            assert bad == [], f"{path.name}: {word!r} in {bad}: write {instead!r}"


def _hant_texts(node: object) -> list[str]:
    """Every zh-Hant value in a config tree."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "zh-Hant" and isinstance(value, str):
                found.append(value)
            else:
                found += _hant_texts(value)
    elif isinstance(node, list):
        for item in node:
            found += _hant_texts(item)
    return found
