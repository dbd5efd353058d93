"""Questions about means, method or lethality (doses, heights, getting hold of enough).

Patterns and word lists: `means.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["MeansDetector"]


class MeansDetector(PatternDetector):
    name = "means"
    yaml_file = "means.yaml"
