"""Current self-harm and urges to self-harm.

Patterns and word lists: `self_harm.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["SelfHarmDetector"]


class SelfHarmDetector(PatternDetector):
    name = "self_harm"
    yaml_file = "self_harm.yaml"
