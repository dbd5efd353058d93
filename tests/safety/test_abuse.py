"""Abuse and danger from others (safety/detectors/abuse.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("my husband hits me and I'm scared to go home", Level.CRISIS),
    ("my boyfriend said he'll kill me if I leave", Level.CRISIS),
    ("my mum's boyfriend touches me and says it's our secret", Level.CRISIS),
    ("he's trying to break the door down right now", Level.EMERGENCY),
    ("he's outside with a knife, I've locked myself in the bathroom", Level.EMERGENCY),
    ("парень сказал, что убьёт меня, если я уйду", Level.CRISIS),
    ("он прямо сейчас ломится в дверь", Level.EMERGENCY),
    # past abuse discussed for treatment
    ("I was sexually assaulted at uni years ago", Level.SUPPORT),
    ("Can EMDR help with memories of childhood abuse?", Level.NONE),
    # idioms
    ("she'll kill me if I'm late again", Level.NONE),
    ("мама меня убьёт, когда увидит кухню", Level.NONE),
    ("nobody is hurting me at home, it's the memories that are the problem", Level.NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected
