"""Indirect ideation: being a burden, no future, farewells and putting affairs in order.

Patterns and word lists: `indirect_ideation.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["IndirectIdeationDetector"]


class IndirectIdeationDetector(PatternDetector):
    name = "indirect_ideation"
    yaml_file = "indirect_ideation.yaml"
