"""Self-harm detector (safety/detectors/self_harm.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("i cut myself again last night", Level.CRISIS),
    ("the urge to cut is so strong right now", Level.CRISIS),
    ("sh urges are through the roof today", Level.CRISIS),
    ("I'm not going to hurt anyone else, only myself", Level.CRISIS),
    ("i relapsed. 4 months clean from sh and i did it again tonight", Level.CRISIS),
    ("я снова порезалась вчера вечером", Level.CRISIS),
    ("никого трогать не буду, только себя", Level.CRISIS),
    # past self-harm is support
    ("I used to self harm as a teenager, I haven't done it in ages", Level.SUPPORT),
    ("I've been clean from self harm for two years this month!", Level.SUPPORT),
    ("в подростковом возрасте резала себя, но давно этого не делаю", Level.SUPPORT),
    # informational / hypothetical
    ("is self harm a symptom of PTSD?", Level.SUPPORT),
    ("what should I do if my friend self-harms?", Level.SUPPORT),
    # not self-harm
    ("I cut myself shaving this morning", Level.NONE),
    ("I've never self harmed, but I do get bad nightmares", Level.SUPPORT),
    # added with dev13: head struck until it rings, not eating as a punishment, the usual
    # harm no longer enough
    ("I smack my head into the desk till everything spins when the memories come", Level.CRISIS),
    ("стучу головой о стену, пока не зазвенит в ушах", Level.CRISIS),
    ("I haven't eaten anything for two days. That's my punishment for the argument", Level.CRISIS),
    ("не ем по два дня, когда сорвусь на детей. так мне и надо", Level.CRISIS),
    ("щипаю себя за руку, пока не пойдут синяки, и хочется чего-то посильнее", Level.CRISIS),
    ("I keep forgetting to eat breakfast, is that the mirtazapine?", Level.NONE),
    ("banging my head against a brick wall trying to get a GP appointment", Level.NONE),
    # added with dev14: burning one's skin with a lighter or a cigarette, skin scrubbed with
    # bleach or a wire brush, the pain used to drown out memories
    ("прижигаю запястье сигаретой, когда вспоминаю его", Level.CRISIS),
    ("I burn my thigh with a lighter most nights", Level.CRISIS),
    ("I scrub my arms with a wire brush till they bleed, it blocks the flashbacks out", Level.CRISIS),
    ("тру руки хлоркой, чтобы не думать о том, что было", Level.CRISIS),
    ("scrubbed the oven with bleach, my hands are raw now", Level.NONE),
    ("burnt my hand on the stove making pancakes", Level.NONE),
    # added with dev14 (probes after the round)
    ("burnt my arm with a match lighting the birthday candles lol", Level.NONE),
    ("I burn my skin with too much sun every summer, any SPF advice?", Level.NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected
