"""Imminent danger: means in hand, the act under way, an overdose taken.

Patterns and word lists: `imminent.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["ImminentDangerDetector"]


class ImminentDangerDetector(PatternDetector):
    name = "imminent"
    yaml_file = "imminent.yaml"
