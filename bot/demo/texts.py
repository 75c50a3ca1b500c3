"""The demo page's own texts (bot/demo/catalog/<lang>.yaml): same keys and placeholders in each."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

TEXTS_DIR = Path(__file__).resolve().parent / "catalog"
LANGUAGES = ("zh-Hans", "zh-Hant", "en")


@functools.cache
def page_texts(lang: str) -> dict[str, str]:
    """Every page text in one language (a flat key → text mapping)."""
    raw = yaml.safe_load((TEXTS_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in raw.items()}


def page_text(lang: str, key: str, **params: object) -> str:
    """One page text with its placeholders filled."""
    return page_texts(lang)[key].format(**params)
