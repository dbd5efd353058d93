"""Support level: history, hopelessness, informational (safety/detectors/support.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("I tried to kill myself years ago, now I'm doing better", Level.SUPPORT),
    ("back when I left the army I was suicidal for a while, it passed with help", Level.SUPPORT),
    ("I feel like nothing is ever going to get better", Level.SUPPORT),
    ("i feel trapped in this ptsd and i can't see a way out of it", Level.SUPPORT),
    ("how common is suicide in people with PTSD?", Level.SUPPORT),
    ("what's the Samaritans number?", Level.SUPPORT),
    ("много лет назад пыталась покончить с собой, сейчас мне намного лучше", Level.SUPPORT),
    ("какой смысл в терапии, если я всегда буду таким", Level.SUPPORT),
    ("насколько часто встречаются самоубийства у людей с ПТСР?", Level.SUPPORT),
    # added with dev13: nothing sticks after many treatments; a first disclosure of abuse;
    # an informational question about antidepressants; a helpline "just in case, all fine now"
    ("three therapists and two meds later, none of it sticks, I'll always feel like this", Level.SUPPORT),
    ("столько лет лечусь, а толку ноль, так и останусь такой", Level.SUPPORT),
    ("I've never said this out loud: my grandad abused me when I was little", Level.SUPPORT),
    ("правда, что литий может вызывать суицидальные мысли в начале?", Level.SUPPORT),
    ("where can I find a helpline in Ireland? asking for me, just in case, I'm fine at the moment", Level.SUPPORT),
    ("где найти телефон доверия в Германии? спрашиваю для себя, на всякий случай, сейчас всё в порядке", Level.SUPPORT),
    # a recent attempt is not history
    ("I tried to hang myself on Sunday and the crisis team told me to get trauma therapy", Level.CRISIS),
    # "asking for me" makes an informational question personal
    ("can you die from mixing alcohol and quetiapine, asking for me", Level.CRISIS),
    # added with dev14: resignation that the illness is one's life now
    ("two years on the waiting list and the panic attacks are the same, I guess that's how my life will look", Level.SUPPORT),
    ("the flashbacks never really stop, this is just my life now", Level.SUPPORT),
    ("пятый год на терапии, а панические атаки те же. видимо, это и есть моя жизнь", Level.SUPPORT),
    ("this is just how it is going to be in the new office, open plan", Level.NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


def test_support_gets_a_signpost_with_helplines() -> None:
    verdict = safety.screen("how common is suicide in people with PTSD?")
    assert verdict.helplines
    assert safety.compose_signpost(verdict)
