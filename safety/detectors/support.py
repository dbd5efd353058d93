"""Support level: past attempts and self-harm, hopelessness, informational questions, helplines.

Patterns and word lists: `support.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["SupportDetector"]


class SupportDetector(PatternDetector):
    name = "support"
    yaml_file = "support.yaml"
