"""The screen's detectors, in the style of Presidio's recognizers.

One short module per detector, its patterns and word lists in a YAML file of the same
name beside it, a small base class (:mod:`safety.detectors.base`) and a registry
(:mod:`safety.detectors.registry`) as the single entry point.
"""

from safety.detectors.base import Detector, Hit, PatternDetector, Rule
from safety.detectors.registry import all_detectors, detect, detectors_version

__all__ = ["Detector", "Hit", "PatternDetector", "Rule", "all_detectors", "detect", "detectors_version"]
