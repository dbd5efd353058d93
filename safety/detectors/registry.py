"""The registry: the single entry point to every detector.

Adding a detector = a module with a :class:`~safety.detectors.base.Detector` subclass
(usually a :class:`~safety.detectors.base.PatternDetector` with a YAML file beside it)
and one line in ``DETECTOR_TYPES``.
"""

from __future__ import annotations

from functools import cache

from safety.analysis import Document
from safety.detectors.abuse import AbuseDetector
from safety.detectors.base import Detector, Hit
from safety.detectors.explicit_ideation import ExplicitIdeationDetector
from safety.detectors.idioms import IdiomDetector
from safety.detectors.imminent import ImminentDangerDetector
from safety.detectors.indirect_ideation import IndirectIdeationDetector
from safety.detectors.means import MeansDetector
from safety.detectors.other_languages import OtherLanguagesDetector
from safety.detectors.self_harm import SelfHarmDetector
from safety.detectors.support import SupportDetector
from safety.detectors.third_person import ThirdPersonDetector

__all__ = ["DETECTOR_TYPES", "all_detectors", "detect", "detectors_version"]

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
)


@cache
def all_detectors() -> tuple[Detector, ...]:
    return tuple(detector_type() for detector_type in DETECTOR_TYPES)


def detect(doc: Document) -> list[Hit]:
    """Every detector's hits on one analysed message."""
    hits: list[Hit] = []
    for detector in all_detectors():
        hits.extend(detector.detect(doc))
    return hits


@cache
def detectors_version() -> str:
    return ",".join(f"{d.name}={d.version}" for d in all_detectors())
