"""A one-line human summary of a loaded config (for start-up logs and check-config)."""

from __future__ import annotations

from bot.config.models import Settings


def _count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 estate', '2 estates'."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def summarize(settings: Settings) -> str:
    """E.g. "2 estates (10 buildings, 18 areas), 15 categories, 3 urgencies, …"."""
    buildings = sum(len(e.buildings) for e in settings.estates)
    areas = sum(len(e.areas) for e in settings.estates)
    supervisors = sum(1 for s in settings.staff if s.role == "supervisor")
    admins = sum(1 for s in settings.staff if s.role == "admin")
    bosses = [_count(supervisors, "supervisor")]
    if admins:
        bosses.append(_count(admins, "admin"))
    return ", ".join(
        [
            f"{_count(len(settings.estates), 'estate')} "
            f"({_count(buildings, 'building')}, {_count(areas, 'area')})",
            _count(len(settings.categories), "category", "categories"),
            _count(len(settings.urgencies), "urgency", "urgencies"),
            _count(len(settings.departments), "department"),
            f"{len(settings.staff)} staff ({', '.join(bosses)})",
            _count(len(settings.roster), "roster shift"),
            f"languages {'/'.join(settings.languages)}",
            f"timezone {settings.timezone}",
        ]
    )
