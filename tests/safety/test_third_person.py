"""Someone else at risk (safety/detectors/third_person.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("my husband told me he's got a plan to kill himself", Level.CRISIS),
    ("my sister is cutting herself every night", Level.CRISIS),
    ("my best friend just sent me a goodbye text and now she isn't picking up", Level.CRISIS),
    ("my friend is on the bridge right now", Level.EMERGENCY),
    ("брат говорит, что сегодня ночью покончит с собой", Level.CRISIS),
    ("девушка выпила целую упаковку таблеток и не просыпается", Level.EMERGENCY),
    # bereavement and past concern are support
    ("my uncle killed himself last year and I still think about it", Level.SUPPORT),
    ("my friend attempted a few years ago, how do I know if she's struggling again?", Level.SUPPORT),
    ("подруга пыталась покончить с собой несколько лет назад", Level.SUPPORT),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected
