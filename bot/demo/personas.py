"""Who the demo's chat list shows: two owners, the engineers, a supervisor, a staff group."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings

# Made-up Telegram ids far from any real staff id in a config (those are 5–7·10⁹).
OWNER_IDS = (910_000_001, 910_000_002)
OWNER_NAMES = {
    "zh-Hans": ("陈女士", "林先生"),
    "zh-Hant": ("陳女士", "林先生"),
    "en": ("Mrs Chen", "Mr Lam"),
}
TELEGRAM_LANGUAGE = {"zh-Hans": "zh-hans", "zh-Hant": "zh-hk", "en": "en"}


@dataclass(frozen=True)
class Persona:
    """One chat in the list: someone the trainee can act as, or a group."""

    key: str  # "owner1", "staff-7034518826", "group"
    role: str  # owner | engineer | supervisor | group
    name: str
    chat_id: int
    user_id: int | None  # None for the group (whoever acts in it picks a member)
    language_code: str


def department_of_demo(settings: Settings) -> str:
    """The department the demo shows: the one with a staff group, else the first."""
    with_group = [d for d in settings.departments if d.group_chat_id is not None]
    return (with_group or settings.departments)[0].id


def personas(settings: Settings, lang: str) -> list[Persona]:
    """The chat list, from the config used: its staff list and its department's group."""
    code = TELEGRAM_LANGUAGE.get(lang, "en")
    names = OWNER_NAMES.get(lang, OWNER_NAMES["en"])
    people = [
        Persona(f"owner{i + 1}", "owner", names[i], uid, uid, code)
        for i, uid in enumerate(OWNER_IDS)
    ]
    dept = department_of_demo(settings)
    team = [s for s in settings.staff if dept in s.departments]
    engineers = [s for s in team if s.role == "staff"]
    bosses = [s for s in team if s.role != "staff"] or [
        s for s in settings.staff if s.role != "staff"
    ]
    for member in engineers:
        people.append(
            Persona(
                f"staff-{member.telegram_id}",
                "engineer",
                member.name,
                member.telegram_id,
                member.telegram_id,
                TELEGRAM_LANGUAGE.get(member.language or lang, code),
            )
        )
    for member in bosses[:1]:
        people.append(
            Persona(
                f"staff-{member.telegram_id}",
                "supervisor",
                member.name,
                member.telegram_id,
                member.telegram_id,
                TELEGRAM_LANGUAGE.get(member.language or lang, code),
            )
        )
    department = next(d for d in settings.departments if d.id == dept)
    if department.group_chat_id is not None:
        people.append(
            Persona(
                "group",
                "group",
                settings.text(department.name, lang),
                department.group_chat_id,
                None,
                code,
            )
        )
    return people
