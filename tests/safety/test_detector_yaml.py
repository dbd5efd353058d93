"""Every detector's YAML compiles, and each rule's own examples prove it fires.

``examples`` must produce a hit from that rule; ``counter_examples`` must not produce a
crisis-level verdict from that detector. This keeps the YAML honest as it grows.
"""

from __future__ import annotations

import pytest

import safety
from safety import Level
from safety.analysis import analyse
from safety.detectors.base import PatternDetector, Rule
from safety.detectors.registry import all_detectors, detectors_version

DETECTORS = [d for d in all_detectors() if isinstance(d, PatternDetector)]
EXAMPLES = [(d, r, e) for d in DETECTORS for r in d.rules for e in r.examples]
COUNTER = [(d, r, e) for d in DETECTORS for r in d.rules for e in r.counter_examples]


def test_every_detector_has_a_version_and_rules() -> None:
    for detector in DETECTORS:
        assert detector.version not in ("", "0"), detector.name
        assert detector.rules, detector.name
    assert all(d.name in detectors_version() for d in DETECTORS)


@pytest.mark.parametrize(("detector", "rule", "example"), EXAMPLES, ids=lambda x: getattr(x, "id", None) or getattr(x, "name", None) or str(x)[:40])
def test_rule_fires_on_its_examples(detector: PatternDetector, rule: Rule, example: str) -> None:
    hits = detector.detect(analyse(example))
    assert any(h.rule.id == rule.id for h in hits), f"{rule.id} did not fire on {example!r}"


@pytest.mark.parametrize(("detector", "rule", "example"), COUNTER, ids=lambda x: getattr(x, "id", None) or getattr(x, "name", None) or str(x)[:40])
def test_counter_examples_stay_below_crisis(detector: PatternDetector, rule: Rule, example: str) -> None:
    verdict = safety.screen(example)
    raised = [r for r in verdict.reasons if r.detector == detector.name and r.level.at_least(Level.CRISIS)]
    assert not raised, f"{example!r} raised {raised}"
