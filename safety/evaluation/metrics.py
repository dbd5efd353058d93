"""Scores for a set of (example, predicted level) pairs.

* crisis recall: label crisis or emergency, predicted crisis or above;
* emergency recall: label emergency, predicted emergency;
* support caught: label support, predicted support or above;
* false alarms: label none, predicted crisis or above;
* under-triage / over-triage: predicted below / above the label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from safety.evaluation.examples import Example
from safety.verdict import Level

__all__ = ["Scored", "Scores", "score", "percentile"]


@dataclass(frozen=True)
class Scored:
    example: Example
    predicted: Level
    seconds: float
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scores:
    n: int
    crisis_total: int
    crisis_caught: int
    emergency_total: int
    emergency_caught: int
    support_total: int
    support_caught: int
    none_total: int
    false_alarms: int
    under: int
    over: int

    @staticmethod
    def ratio(part: int, whole: int) -> float | None:
        return None if whole == 0 else part / whole

    @property
    def crisis_recall(self) -> float | None:
        return self.ratio(self.crisis_caught, self.crisis_total)

    @property
    def emergency_recall(self) -> float | None:
        return self.ratio(self.emergency_caught, self.emergency_total)

    @property
    def support_rate(self) -> float | None:
        return self.ratio(self.support_caught, self.support_total)

    @property
    def false_alarm_rate(self) -> float | None:
        return self.ratio(self.false_alarms, self.none_total)

    def to_dict(self) -> dict[str, float | int | list[int] | None]:
        return {
            "n": self.n,
            "crisis_recall": self.crisis_recall,
            "crisis": [self.crisis_caught, self.crisis_total],
            "emergency_recall": self.emergency_recall,
            "emergency": [self.emergency_caught, self.emergency_total],
            "support_caught": self.support_rate,
            "support": [self.support_caught, self.support_total],
            "false_alarm_rate": self.false_alarm_rate,
            "false_alarms": [self.false_alarms, self.none_total],
            "under_triage": self.under,
            "over_triage": self.over,
        }


def score(items: Iterable[Scored]) -> Scores:
    n = crisis_total = crisis_caught = emergency_total = emergency_caught = 0
    support_total = support_caught = none_total = false_alarms = under = over = 0
    for item in items:
        n += 1
        label = Level(item.example.label)
        predicted = item.predicted
        if predicted < label:
            under += 1
        elif predicted > label:
            over += 1
        if label.at_least(Level.CRISIS):
            crisis_total += 1
            crisis_caught += predicted.at_least(Level.CRISIS)
        if label == Level.EMERGENCY:
            emergency_total += 1
            emergency_caught += predicted == Level.EMERGENCY
        if label == Level.SUPPORT:
            support_total += 1
            support_caught += predicted.at_least(Level.SUPPORT)
        if label == Level.NONE:
            none_total += 1
            false_alarms += predicted.at_least(Level.CRISIS)
    return Scores(
        n, crisis_total, crisis_caught, emergency_total, emergency_caught,
        support_total, support_caught, none_total, false_alarms, under, over,
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
