"""Explicit ideation detector, table-driven (safety/detectors/explicit_ideation.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    # (text, expected level)
    ("I want to die", Level.CRISIS),
    ("i wanna die lol", Level.CRISIS),
    ("I want to kill myself", Level.CRISIS),
    ("I think I'm going to end my life", Level.CRISIS),
    ("I'm suicidal", Level.CRISIS),
    ("feeling suicidal again", Level.CRISIS),
    ("I've been having suicidal thoughts since the flashbacks came back", Level.CRISIS),
    ("i want to go to sleep and never wake up", Level.CRISIS),
    ("I wish I was dead", Level.CRISIS),
    ("I'd be better off dead", Level.CRISIS),
    # negation never hides ideation
    ("I don't want to live anymore", Level.CRISIS),
    ("I don't see the point of living", Level.CRISIS),
    ("I can't go on", Level.CRISIS),
    ("not sure i want to be alive anymore", Level.CRISIS),
    ("I'm not suicidal but I wouldn't mind if I didn't wake up", Level.CRISIS),
    # true denials are not a crisis (a mention is at most support)
    ("I don't want to die, I want to get better", Level.SUPPORT),
    ("I'm not suicidal, just curious about EMDR", Level.SUPPORT),
    ("I have never wanted to kill myself, I just feel on edge", Level.SUPPORT),
    # Russian
    ("хочу умереть", Level.CRISIS),
    ("я решила, что покончу с собой", Level.CRISIS),
    ("думаю о самоубийстве почти каждый день", Level.CRISIS),
    ("не хочу больше жить", Level.CRISIS),
    ("жить не хочется", Level.CRISIS),
    ("хочется уснуть и не проснуться", Level.CRISIS),
    ("я не хочу умирать, я хочу поправиться", Level.SUPPORT),
    ("я не думаю о суициде, просто интересуюсь ДПДГ", Level.SUPPORT),
    # ordinary messages
    ("what is EMDR?", Level.NONE),
    ("как записаться на приём?", Level.NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


def test_reason_explains_itself() -> None:
    verdict = safety.screen("honestly I want to kill myself")
    reason = next(r for r in verdict.reasons if r.detector == "explicit_ideation")
    assert reason.rule.startswith("en.")
    start, end = reason.span
    assert "honestly I want to kill myself"[start:end] == reason.matched
    assert 0 < reason.score <= 1
