"""Explicit suicidal ideation, including ideation stated through a negation.

Patterns and word lists: `explicit_ideation.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["ExplicitIdeationDetector"]


class ExplicitIdeationDetector(PatternDetector):
    name = "explicit_ideation"
    yaml_file = "explicit_ideation.yaml"
