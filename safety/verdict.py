"""The screen's result types: an ordered level, one explained reason, the verdict.

These are plain, immutable values so a verdict can travel through Rasa's parse data,
the tracker store and the audit log as JSON (``Verdict.to_dict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Level", "Reason", "Verdict"]

_RANK = {"none": 0, "support": 1, "crisis": 2, "emergency": 3}


class Level(str, Enum):
    """How urgent a message is. Ordered: NONE < SUPPORT < CRISIS < EMERGENCY.

    A ``str`` enum so it serialises as its value; the comparison operators are
    overridden because plain string order ("crisis" < "none") would be wrong.
    """

    NONE = "none"
    SUPPORT = "support"
    CRISIS = "crisis"
    EMERGENCY = "emergency"

    _order: int  # set on each member below; a plain attribute, so comparing is cheap

    @property
    def rank(self) -> int:
        return self._order

    def at_least(self, other: Level) -> bool:
        if not isinstance(other, Level):
            other = Level(other)
        return self._order >= other._order

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self._order < other._order

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self._order <= other._order

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self._order > other._order

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self._order >= other._order

    def __str__(self) -> str:
        return str(self.value)

    # Enum with a str mixin and custom comparisons: keep hashing by value.
    __hash__ = str.__hash__


for _member in Level:
    _member._order = _RANK[_member.value]


@dataclass(frozen=True)
class Reason:
    """Why the screen raised (or lowered) a level: one rule that fired.

    ``span`` is (start, end) in the screened text (or in the history message named by
    ``source``); ``matched`` is the original text of that span, for clinicians.
    """

    detector: str
    rule: str
    level: Level
    span: tuple[int, int]
    matched: str
    score: float
    source: str = "text"

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "rule": self.rule,
            "level": self.level.value,
            "span": [self.span[0], self.span[1]],
            "matched": self.matched,
            "score": round(self.score, 3),
            "source": self.source,
        }


@dataclass(frozen=True)
class Verdict:
    """The screen's decision about one user message."""

    level: Level
    lang: str
    region: str
    country: str | None
    helplines: tuple[str, ...]
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "lang": self.lang,
            "region": self.region,
            "country": self.country,
            "helplines": list(self.helplines),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "version": self.version,
        }
