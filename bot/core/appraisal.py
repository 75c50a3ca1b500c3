"""The staff appraisal: per person handled tickets, times, deadlines, ratings and reopenings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.stats import DONE, PeriodFacts
from bot.core.summaries import Durations, Share


@dataclass(frozen=True)
class StaffRow:
    """One line of the staff appraisal."""

    staff_id: int
    handled: int  # tickets they accepted or resolved in the period
    accept: Durations
    resolve: Durations
    deadline: Share  # their accept and resolve deadlines together
    ratings: int
    average_rating: float | None
    praise: int
    resolved: int  # resolve events in the period
    reopened: int  # reopenings of tickets they had resolved

    @property
    def reopen_rate(self) -> float | None:
        """Reopened / resolved."""
        return self.reopened / self.resolved if self.resolved else None


def appraisal(facts: PeriodFacts) -> list[StaffRow]:
    """Per staff member: handled, times, deadlines, rating, praise, reopen rate; busiest first.

    Acceptance belongs to whoever accepted first, resolution to whoever resolved last, a missed
    deadline of an open ticket to its assignee, a survey to the staff member it rates, and a
    reopening to whoever had the ticket when the owner said it was not fixed.
    """
    handled: dict[int, set[int]] = defaultdict(set)
    accept: dict[int, list[float]] = defaultdict(list)
    resolve: dict[int, list[float]] = defaultdict(list)
    deadline: dict[int, list[bool]] = defaultdict(list)
    for t, j in zip(facts.tickets, facts.judged, strict=True):
        if j.accept_seconds is not None and t.accepted_by is not None:
            handled[t.accepted_by].add(t.id)
            accept[t.accepted_by].append(j.accept_seconds)
        if j.resolve_seconds is not None and t.resolved_by is not None:
            handled[t.resolved_by].add(t.id)
            resolve[t.resolved_by].append(j.resolve_seconds)
        for outcome, owner in (
            (j.accept_ok, t.accepted_by or t.assignee_id),
            (j.resolve_ok, t.resolved_by if t.status in DONE else t.assignee_id),
        ):
            if outcome is not None and owner is not None:
                deadline[owner].append(outcome)
    resolved: dict[int, int] = defaultdict(int)
    reopened: dict[int, int] = defaultdict(int)
    for e in facts.events:
        if e.kind == "resolved" and e.actor_id is not None:
            resolved[e.actor_id] += 1
        elif e.kind == "reopened" and e.from_id is not None:
            reopened[e.from_id] += 1
    ratings: dict[int, list[int]] = defaultdict(list)
    praise: dict[int, int] = defaultdict(int)
    for s in facts.surveys:
        if s.staff_id is None:
            continue
        if s.answered and s.rating is not None:
            ratings[s.staff_id].append(s.rating)
        praise[s.staff_id] += s.praised
    people = (
        set(handled)
        | set(deadline)
        | set(resolved)
        | set(reopened)
        | set(ratings)
        | {p for p, n in praise.items() if n}
    )
    rows = [
        StaffRow(
            staff_id=p,
            handled=len(handled[p]),
            accept=Durations.of_seconds(accept[p]),
            resolve=Durations.of_seconds(resolve[p]),
            deadline=_share(deadline[p]),
            ratings=len(ratings[p]),
            average_rating=sum(ratings[p]) / len(ratings[p]) if ratings[p] else None,
            praise=praise[p],
            resolved=resolved[p],
            reopened=reopened[p],
        )
        for p in people
    ]
    return sorted(rows, key=lambda r: (-r.handled, -r.resolved, r.staff_id))


def _share(outcomes: Iterable[bool | None]) -> Share:
    counted = [o for o in outcomes if o is not None]
    return Share(sum(counted), len(counted))
