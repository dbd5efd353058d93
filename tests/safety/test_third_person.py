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
    # added with dev13: someone "done with everything" now shut away behind a door
    ("my husband said he's finished with it all and he's locked himself in the bathroom", Level.CRISIS),
    ("дочке всё надоело окончательно, заперлась в комнате и не выходит", Level.CRISIS),
    # characters in a set text, the literary present
    ("for GCSE: how come the lovers both die in the final act, is it fate?", Level.SUPPORT),
    ("почему они оба умирают в конце «Ромео и Джульетты»? мы проходим это в школе", Level.NONE),
    # added with dev15: a relative's quoted entrusting and apology, then silence (guards:
    # the screen already caught these wordings; the dev15 case it missed is in the round)
    ("my sister texted 'take care of the cats for me' and 'sorry i was such a rubbish sister', now her phone goes to voicemail", Level.CRISIS),
    ("брат прислал «береги маму» и «прости, что был плохим братом», и теперь не отвечает", Level.CRISIS),
    ("my sister texted 'feed the cats tonight please', she's not answering now because she's on a night shift", Level.NONE),
    ("my son's done with his homework and in his room with the door shut as usual", Level.SUPPORT),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected
