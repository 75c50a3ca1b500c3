"""Language catalogs: one YAML file per language with the same keys and placeholders."""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en")
_DIR = Path(__file__).parent


class Catalog:
    """All texts of all languages; ``text(lang, key, **params)`` formats one."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]], fallback: str = "en") -> None:
        self.texts = texts
        self.fallback = fallback

    def text(self, lang: str, key: str, **params: Any) -> str:
        """The text for ``key`` in ``lang`` (falling back to the default), formatted."""
        table = self.texts.get(lang) or self.texts[self.fallback]
        template = table.get(key)
        if template is None:
            template = self.texts[self.fallback][key]  # a KeyError here is a programming error
        return template.format_map(_Blank(params)) if params else template

    def missing(self, key: str) -> list[str]:
        """Languages whose catalog lacks ``key``."""
        return [lang for lang, table in self.texts.items() if key not in table]

    def has(self, key: str) -> bool:
        """True when the default catalog has ``key``."""
        return key in self.texts[self.fallback]


class _Blank(dict[str, Any]):
    """Format parameters where a missing one reads as empty rather than raising mid-send."""

    def __missing__(self, key: str) -> str:
        return ""


def placeholders(template: str) -> set[str]:
    """The ``{name}`` placeholders a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def load_language(lang: str, directory: Path = _DIR) -> dict[str, str]:
    """Read one catalog file, flattening nested keys with dots."""
    raw = yaml.safe_load((directory / f"{lang}.yaml").read_text(encoding="utf-8")) or {}
    flat: dict[str, str] = {}
    _flatten(raw, "", flat)
    return flat


def _flatten(node: Any, prefix: str, out: dict[str, str]) -> None:
    """Nested mappings become dotted keys."""
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = str(node)


@cache
def default_catalog(fallback: str = "en") -> Catalog:
    """The shipped catalogs, loaded once."""
    return Catalog({lang: load_language(lang) for lang in LANGUAGES}, fallback)
