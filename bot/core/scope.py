"""Who may see and work which tickets: one rule for every list, command, button and notice.

A person's patch is their departments and estates in config.yaml. Admins see everything. An
empty ``departments`` means every department for a supervisor but none for plain staff; an
empty ``estates`` means every estate. The lifecycle's permission checks, ``/open``, ``/ticket``,
follow-up calls and who hears of trouble with a ticket all ask this module.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.config import Settings

OutOfScope = Literal["other_department", "other_estate"]


class Scoped(Protocol):
    """Anyone with a role and a patch: a staff entry in config.yaml, or a lifecycle Actor."""

    @property
    def role(self) -> str:
        """staff, supervisor or admin (others see nothing)."""
        ...

    @property
    def departments(self) -> Collection[str]:
        """Department ids; empty: every one for a supervisor, none for staff."""
        ...

    @property
    def estates(self) -> Collection[str]:
        """Estate ids; empty: every estate."""
        ...


def out_of_scope(who: Scoped, department: str, estate: str) -> OutOfScope | None:
    """Why a ticket of ``department`` at ``estate`` is outside someone's patch, or None."""
    if who.role == "admin":
        return None
    if (who.departments or who.role != "supervisor") and department not in who.departments:
        return "other_department"
    if who.estates and estate not in who.estates:
        return "other_estate"
    return None


def may_see(who: Scoped, department: str, estate: str) -> bool:
    """Whether a ticket of ``department`` at ``estate`` is in someone's patch."""
    return out_of_scope(who, department, estate) is None


@dataclass(frozen=True)
class Reach:
    """The same rule as a filter for listings: departments and estates (None: all of them)."""

    departments: frozenset[str] | None
    estates: frozenset[str] | None


def reach_of(who: Scoped) -> Reach:
    """Someone's patch as a listing filter (what ``may_see`` lets through)."""
    if who.role == "admin":
        return Reach(None, None)
    every_department = who.role == "supervisor" and not who.departments
    return Reach(
        None if every_department else frozenset(who.departments),
        frozenset(who.estates) or None,
    )


def supervisors_of(settings: Settings, department: str, estate: str) -> list[int]:
    """Who hears of trouble with a ticket: the supervisors who list its department, and the
    department's fallback, each only if the ticket is in their patch."""
    people = {
        m.telegram_id
        for m in settings.staff
        if m.role == "supervisor" and department in m.departments and may_see(m, department, estate)
    }
    dept = settings.department(department)
    fallback = settings.staff_member(dept.fallback) if dept and dept.fallback else None
    if fallback is not None and may_see(fallback, department, estate):
        people.add(fallback.telegram_id)
    return sorted(people)
