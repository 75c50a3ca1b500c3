"""Which language to speak to a person in."""

from __future__ import annotations

from collections.abc import Sequence

_ALIASES = {
    "zh-hans": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh": "zh-Hans",
    "zh-hant": "zh-Hant",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
}


def pick_language(
    chosen: str | None, telegram_code: str | None, available: Sequence[str], default: str
) -> str:
    """The chosen language, else the one Telegram reports (if we speak it), else the default."""
    if chosen is not None and chosen in available:
        return chosen
    code = (telegram_code or "").strip().lower().replace("_", "-")
    candidate = _ALIASES.get(code) or ("en" if code.startswith("en") else None)
    if candidate is None and code.startswith("zh-"):
        candidate = "zh-Hant" if code.split("-")[1] in ("hant", "tw", "hk", "mo") else "zh-Hans"
    return candidate if candidate is not None and candidate in available else default
