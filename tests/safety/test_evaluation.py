"""Scoring definitions and the shared-set split (safety/evaluation/)."""

from __future__ import annotations

from safety import Level
from safety.evaluation.examples import Example, tuning_part
from safety.evaluation.metrics import Scored, percentile, score


def item(label: str, predicted: Level) -> Scored:
    return Scored(Example("t", label + predicted.value, "x", label, "en", "c"), predicted, 0.001)


def test_score_definitions() -> None:
    s = score([
        item("crisis", Level.CRISIS), item("crisis", Level.SUPPORT), item("emergency", Level.CRISIS),
        item("support", Level.NONE), item("support", Level.CRISIS), item("none", Level.CRISIS),
        item("none", Level.SUPPORT),
    ])
    assert (s.crisis_caught, s.crisis_total) == (2, 3)
    assert (s.emergency_caught, s.emergency_total) == (0, 1)
    assert (s.support_caught, s.support_total) == (1, 2)
    assert (s.false_alarms, s.none_total) == (1, 2)
    assert s.under == 3 and s.over == 3


def test_split_is_fixed_and_roughly_half() -> None:
    parts = [tuning_part(f"user-{i}") for i in range(1000)]
    assert parts == [tuning_part(f"user-{i}") for i in range(1000)]
    assert 400 < parts.count("tune") < 600


def test_percentile() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile(list(range(1, 101)), 0.99) == 99
