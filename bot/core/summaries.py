"""The numbers of a summary: durations, deadline shares, survey results, and the Summary itself."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.facts import SurveyFact

RATINGS: tuple[int, ...] = (5, 4, 3, 2, 1)


def percentile(values: Sequence[float], q: float, *, ordered: bool = False) -> float:
    """The q-quantile (0 ≤ q ≤ 1) with linear interpolation between ranks (numpy's default);
    ``ordered`` says the values are sorted already."""
    if not values:
        raise ValueError("no values")
    if not ordered:
        values = sorted(values)
    pos = (len(values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)


@dataclass(frozen=True)
class Durations:
    """How long something took: count, median and 90th percentile."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None

    @classmethod
    def of(cls, spans: Iterable[timedelta]) -> Durations:
        """The summary of some spans."""
        return cls.of_seconds(s.total_seconds() for s in spans)

    @classmethod
    def of_seconds(cls, seconds: Iterable[float]) -> Durations:
        """The summary of some spans in seconds (negative ones, from clock trouble, count as
        zero)."""
        ordered = sorted(max(s, 0.0) for s in seconds)
        if not ordered:
            return cls()
        return cls(
            len(ordered),
            timedelta(seconds=percentile(ordered, 0.5, ordered=True)),
            timedelta(seconds=percentile(ordered, 0.9, ordered=True)),
        )


@dataclass(frozen=True)
class Share:
    """How many of some cases met a deadline."""

    met: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """met / total, or None without cases."""
        return self.met / self.total if self.total else None

    def __add__(self, other: Share) -> Share:
        return Share(self.met + other.met, self.total + other.total)


@dataclass(frozen=True)
class Satisfaction:
    """Survey results: sent, answered, the 5…1 distribution."""

    sent: int = 0
    distribution: Mapping[int, int] = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))
    answered: int = 0  # answers without a rating (none expected) count here but not below

    @property
    def rated(self) -> int:
        """Answers with a rating."""
        return sum(self.distribution.values())

    @property
    def response_rate(self) -> float | None:
        """answered / sent."""
        return self.answered / self.sent if self.sent else None

    @property
    def average(self) -> float | None:
        """The mean rating (5 best)."""
        rated = self.rated
        return sum(r * n for r, n in self.distribution.items()) / rated if rated else None

    @property
    def satisfied_rate(self) -> float | None:
        """(very satisfied + satisfied) / rated answers."""
        rated = self.rated
        return (self.distribution[5] + self.distribution[4]) / rated if rated else None

    @classmethod
    def of(cls, surveys: Iterable[SurveyFact]) -> Satisfaction:
        """The results of some surveys."""
        sent = answered = 0
        distribution = dict.fromkeys(RATINGS, 0)
        for survey in surveys:
            sent += 1
            if survey.answered:
                answered += 1
                if survey.rating in distribution:
                    distribution[survey.rating] += 1
        return cls(sent, distribution, answered)


@dataclass(frozen=True)
class Summary:
    """The numbers of one group of tickets (or all) over a period."""

    opened: int = 0
    resolved: int = 0
    reopened: int = 0
    cancelled: int = 0
    escalations: int = 0
    accept: Durations = Durations()
    resolve: Durations = Durations()
    accept_deadline: Share = Share()
    resolve_deadline: Share = Share()
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    praise: int = 0

    @property
    def not_fixed_rate(self) -> float | None:
        """Reopened / resolved (events in the period)."""
        return self.reopened / self.resolved if self.resolved else None

    @property
    def deadline(self) -> Share:
        """Accept and resolve deadlines together."""
        return self.accept_deadline + self.resolve_deadline
