"""Explicit ideation and imminent danger in German, French, Spanish, Polish and Ukrainian.

Patterns and word lists: `other_languages.yaml` beside this module.
"""

from __future__ import annotations

from safety.detectors.base import PatternDetector

__all__ = ["OtherLanguagesDetector"]


class OtherLanguagesDetector(PatternDetector):
    name = "other_languages"
    yaml_file = "other_languages.yaml"
