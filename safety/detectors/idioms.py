"""Idioms and harmless phrases with crisis words; its hits mask other detectors' hits.

Patterns and word lists: `idioms.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["IdiomDetector"]


class IdiomDetector(PatternDetector):
    name = "idioms"
    yaml_file = "idioms.yaml"
