"""Indirect ideation: burden, no future, farewell (safety/detectors/indirect_ideation.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("everyone would be better off without me", Level.CRISIS),
    ("I'm just a burden to my family", Level.CRISIS),
    ("I'm not suicidal but everyone would be better off without me", Level.CRISIS),
    ("I can't see any future for myself", Level.CRISIS),
    ("whats the point of booking therapy for march. i wont be here", Level.CRISIS),
    ("this is my last message. thank you for trying", Level.CRISIS),
    ("I've been giving my stuff away", Level.CRISIS),
    ("gave my medals to my nephew and my watch to my best mate. they don't know why yet", Level.CRISIS),
    ("всем будет лучше без меня", Level.CRISIS),
    ("у меня нет будущего", Level.CRISIS),
    ("не ищите меня", Level.CRISIS),
    # harmless goodbyes and giving away
    ("goodbye and thanks!", Level.NONE),
    ("bye for now, speak tomorrow", Level.NONE),
    ("giving away the kids' old toys before we move house", Level.NONE),
    ("I won't be here next week, can we move the session?", Level.NONE),
    ("пока, до завтра", Level.NONE),
    ("I don't want to be a burden on my friends", Level.SUPPORT),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


def test_two_weak_cues_across_history_make_crisis() -> None:
    # "tell my sister I'm sorry" is now a farewell on its own (concepts.yaml); the
    # combination is shown with a cue that means nothing alone.
    verdict = safety.screen("can you tell my sister I'm sorry?", history=["there's no point anymore"])
    assert verdict.level == Level.CRISIS
    verdict = safety.screen("thanks for everything", history=["there's no point anymore"])
    assert verdict.level == Level.CRISIS
    assert any("combined cues" in r.rule for r in verdict.reasons)
    assert safety.screen("thanks for everything").level < Level.CRISIS
