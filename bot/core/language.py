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


def script_of(text: str) -> str | None:
    """ "cjk" or "latin" by which letters a text mostly has; None when it has few of either."""
    cjk = sum(1 for c in text if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    # A Chinese note counts two Latin letters as about one character ("换了LED灯" is Chinese).
    if cjk == 0 and latin < 3:
        return None
    return "cjk" if cjk * 2 >= latin else "latin"


def note_language_differs(note: str, lang: str) -> str | None:
    """The script of ``note`` when a reader of ``lang`` may not read it, else None."""
    script = script_of(note)
    reads = "latin" if lang == "en" else "cjk"
    return script if script is not None and script != reads else None
