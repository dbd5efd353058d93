"""Someone else at risk now, and third-person concern or bereavement (support).

Patterns and word lists: `third_person.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["ThirdPersonDetector"]


class ThirdPersonDetector(PatternDetector):
    name = "third_person"
    yaml_file = "third_person.yaml"
