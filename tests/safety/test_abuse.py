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
    # added with dev13: a blow aimed now, a threat for when he is back, a weapon at the door
    ("my stepdad is drunk and he's going for my mum in the hallway", Level.EMERGENCY),
    ("he went out for cigarettes and said once he comes home he'll kill me", Level.EMERGENCY),
    ("he's on the landing, he says he's got a knife and he's waiting for me to come out", Level.EMERGENCY),
    ("папа напился и набросился на брата, я в ванной", Level.EMERGENCY),
    ("он за дверью, сказал, что у него пистолет и он подождёт, когда я открою", Level.EMERGENCY),
    ("my dad's swinging at the pinata at the party", Level.NONE),
    ("когда он вернётся, он закончит ремонт в ванной", Level.NONE),
    # added with dev14: a threat over leaving or telling stays abuse; fear FOR a relative
    # (what a treatment will do to him) is not fear of him
    ("he'll kill me if I leave, he said so after the game last night", Level.CRISIS),
    ("Муж хочет начать лечение кетамином, боюсь, что с ним станет через несколько лет. Это безопасно?", Level.NONE),
    ("боюсь за папу, он после операции совсем слабый", Level.NONE),
    ("страшно, что с сыном будет через десять лет на таких дозах", Level.NONE),
    ("боюсь отца, он опять пьёт", Level.CRISIS),
    # added with dev15: a door barricaded against someone raging at it; a childhood told as
    # such, with contact broken off long ago, is a treatment question (the first three
    # were crisis before the round; the last is a guard)
    ("he's home drunk and hammering on the bathroom door, i've jammed the laundry basket against it and the baby is with me", Level.EMERGENCY),
    ("HE IS BACK AND SMASHING THE DOOR, desk pushed up against it, me and the kids in the back room", Level.EMERGENCY),
    ("он пьяный ломится в спальню, я подперла дверь стулом, дети со мной", Level.EMERGENCY),
    ("can EMDR help when your mum hit you while you were growing up? i moved out at 17 and we have not spoken since", Level.NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected
