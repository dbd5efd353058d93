"""Abuse or danger from others: violence, threats, stalking, coercive control, a child at risk.

Patterns and word lists: `abuse.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["AbuseDetector"]


class AbuseDetector(PatternDetector):
    name = "abuse"
    yaml_file = "abuse.yaml"
