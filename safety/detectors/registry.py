"""The registry: the single entry point to every detector.

Adding a detector = a module with a :class:`~safety.detectors.base.Detector` subclass
(usually a :class:`~safety.detectors.base.PatternDetector` with a YAML file beside it)
and one line in ``DETECTOR_TYPES``.
"""

from __future__ import annotations

from functools import cache

from safety.analysis import Document
from safety.detectors.abuse import AbuseDetector
from safety.detectors.base import (
    BACKSTOP_SIGNALS,
    FRAMING_NOTES,
    Detector,
    Hit,
    PatternDetector,
    RuleSet,
)
from safety.detectors.concepts import ConceptDetector
from safety.detectors.explicit_ideation import ExplicitIdeationDetector
from safety.detectors.idioms import IdiomDetector
from safety.detectors.imminent import ImminentDangerDetector
from safety.detectors.indirect_ideation import IndirectIdeationDetector
from safety.detectors.means import MeansDetector
from safety.detectors.other_languages import OtherLanguagesDetector
from safety.detectors.self_harm import SelfHarmDetector
from safety.detectors.statistical import StatisticalDetector
from safety.detectors.support import SupportDetector
from safety.detectors.third_person import ThirdPersonDetector
from safety.verdict import Level

__all__ = ["DETECTOR_TYPES", "all_detectors", "backstop", "detect", "detect_others", "detect_patterns",
           "detectors_version"]

DETECTOR_TYPES: tuple[type[Detector], ...] = (
    ImminentDangerDetector,
    ExplicitIdeationDetector,
    IndirectIdeationDetector,
    MeansDetector,
    SelfHarmDetector,
    AbuseDetector,
    ThirdPersonDetector,
    OtherLanguagesDetector,
    SupportDetector,
    IdiomDetector,
    ConceptDetector,
    StatisticalDetector,
)


@cache
def all_detectors() -> tuple[Detector, ...]:
    return tuple(detector_type() for detector_type in DETECTOR_TYPES)


@cache
def _merged() -> tuple[RuleSet, tuple[Detector, ...]]:
    """Pattern detectors' rules in one index (one word lookup per message word, not one
    per detector); any other detector runs on its own."""
    pattern_rules = [
        (d.name, rule) for d in all_detectors() if isinstance(d, PatternDetector) for rule in d.rules
    ]
    others = tuple(d for d in all_detectors() if not isinstance(d, PatternDetector))
    return RuleSet(pattern_rules), others


def detect(doc: Document) -> list[Hit]:
    """Every detector's hits on one analysed message (the raise-only backstop aside)."""
    return detect_patterns(doc) + detect_others(doc)


def detect_patterns(doc: Document) -> list[Hit]:
    """The pattern detectors' hits (one merged index)."""
    merged, _ = _merged()
    return merged.find(doc)


def detect_others(doc: Document, at_least: Level | None = None) -> list[Hit]:
    """The other detectors' hits (the concept detector), optionally only from rules of
    ``at_least`` that level: once the patterns make a message a crisis, only an
    emergency can still change the verdict."""
    _, others = _merged()
    hits: list[Hit] = []
    for detector in others:
        if getattr(detector, "raise_only", False):
            continue
        if at_least is not None and isinstance(detector, ConceptDetector):
            hits.extend(detector.detect(doc, at_least=at_least))
        else:
            hits.extend(detector.detect(doc))
    return hits


def backstop(doc: Document, hits: list[Hit]) -> list[Hit]:
    """Hits of the raise-only detectors (the statistical backstop), for a message whose
    other hits are ``hits``. They run only where some rule saw a signal: on its own the
    backstop over-reads long distress stories."""
    # The same gate as safety/decide.py applies to the backstop's hits (a signal role, no
    # framing note), checked first so most messages never pay for the model.
    if not any(h.rule.role in BACKSTOP_SIGNALS for h in hits):
        return []
    if any(note.split(" ")[0] in FRAMING_NOTES for h in hits for note in h.notes):
        return []
    _, others = _merged()
    out: list[Hit] = []
    for detector in others:
        if getattr(detector, "raise_only", False):
            out.extend(detector.detect(doc))
    return out


@cache
def detectors_version() -> str:
    return ",".join(f"{d.name}={d.version}" for d in all_detectors())
