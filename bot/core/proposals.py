"""Guessing a report's subject from the owner's own words: keywords per category and
subcategory from config.yaml, in every language, matched on the description. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.config import Settings

_SEPARATORS = re.compile(r"[,，、;；/]+")


def words(local: Mapping[str, str] | None) -> list[str]:
    """The keywords of a LocalText in every language, case-folded, longest first."""
    found = {
        w.strip().casefold()
        for text in (local or {}).values()
        for w in _SEPARATORS.split(text)
        if w.strip()
    }
    return sorted(found, key=lambda w: (-len(w), w))


def _score(text: str, keywords: Iterable[str]) -> int:
    """How strongly the text points to a set of keywords: the length of those it contains."""
    return sum(len(k) for k in keywords if k in text)


def guess_subject(
    settings: Settings, description: str, category_id: str | None = None
) -> tuple[str, str | None] | None:
    """(category, subcategory or None) the description's words point to best, or None.

    A subcategory's own names count as keywords too; ties go to the first in config order. With
    ``category_id`` only that category's subcategories are considered.
    """
    text = description.casefold()
    best: tuple[int, str, str | None] | None = None
    for category in settings.categories:
        if category_id is not None and category.id != category_id:
            continue
        own = _score(text, [*words(category.keywords), *words(category.name)])
        candidates: list[tuple[int, str | None]] = [(own, None)]
        for sub in category.subcategories:
            names = words(sub.name) if sub.id != "other" else []  # "other" says nothing
            score = _score(text, [*words(sub.keywords), *names])
            if score:
                candidates.append((score + own, sub.id))
        score, sub_id = max(candidates, key=lambda c: c[0])
        if score and (best is None or score > best[0]):
            best = (score, category.id, sub_id)
    return None if best is None else (best[1], best[2])


def suggested_urgency(settings: Settings, category_id: str, subcategory_id: str | None) -> str:
    """The urgency a subject suggests: its subcategory's, else the least urgent allowed."""
    allowed = [u.id for u in settings.urgencies_for(category_id)]
    category = settings.category(category_id)
    sub = category.subcategory(subcategory_id or "") if category is not None else None
    if sub is not None and sub.urgency in allowed:
        return str(sub.urgency)
    return allowed[-1] if allowed else ""
