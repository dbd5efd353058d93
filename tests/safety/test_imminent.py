"""Imminent danger detector (safety/detectors/imminent.yaml): emergency."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("I have the pills in front of me", Level.EMERGENCY),
    ("I took 30 tablets an hour ago", Level.EMERGENCY),
    ("I'm standing on the bridge", Level.EMERGENCY),
    ("I've cut myself and it won't stop bleeding", Level.EMERGENCY),
    ("my girlfriend took a whole box of pills and she's not waking up properly", Level.EMERGENCY),
    ("is it normal to feel drowsy on mirtazapine? I took the whole strip half an hour ago", Level.EMERGENCY),
    ("таблетки уже выпил", Level.EMERGENCY),
    ("стою на крыше", Level.EMERGENCY),
    ("у меня в руке нож, я сейчас это сделаю", Level.EMERGENCY),
    # the past and the hypothetical are not an emergency
    ("years ago i took an overdose, i think it was a cry for help", Level.SUPPORT),
    ("I had an overdose in 2019 and was in hospital, I'm much more stable now", Level.SUPPORT),
    ("if i took all of my quetiapine at once would i just fall asleep", Level.CRISIS),
    # idioms
    ("overdosed on netflix this weekend tbh", Level.NONE),
    ("I'm going to jump in the shower and then fill in the form", Level.NONE),
    ("I took my sertraline this morning", Level.NONE),
    # added with dev13: blood in the water or a towel that won't stop; a medicine cabinet taken
    ("sitting in the bath, the water's turned red and it won't stop", Level.EMERGENCY),
    ("the bandage is soaked through already and it's not slowing down", Level.EMERGENCY),
    ("полотенце уже пропиталось, кровь не останавливается", Level.EMERGENCY),
    ("выпил всё, что нашёл дома, и лёг", Level.EMERGENCY),
    ("the kids' bath bomb turned the water red and they won't stop giggling", Level.NONE),
    ("dyed my hair and the sink's gone pink, it won't stop staining", Level.NONE),
    # added with dev14: the whole supply swallowed, no drug named
    ("swallowed every last one before bed", Level.EMERGENCY),
    ("took the whole lot about twenty minutes ago", Level.EMERGENCY),
    ("I swallowed the lot.", Level.EMERGENCY),
    ("he swallowed the whole lot, hook line and sinker", Level.NONE),
    ("took the lot to the tip an hour ago, garage is finally clear", Level.NONE),
    # added with dev14: a blade within reach in the bath; climbed out onto a roof
    ("лежу в ванне, лезвие под рукой на полочке", Level.EMERGENCY),
    ("sitting in the bath, a blade right there on the rim", Level.EMERGENCY),
    ("лежу в ванне, нож для фруктов рядом, ем яблоко", Level.NONE),
    ("sitting in the bath with a glass of wine, tablets for my headache next to me", Level.NONE),
    ("took the lot of them to the tip, garage finally clear", Level.NONE),
    ("climbed out through the velux onto the roof, it's freezing up here", Level.EMERGENCY),
    ("выбралась через люк на крышу, тут так тихо", Level.EMERGENCY),
    ("in the bath with a face mask, razor on the side for my legs, bliss", Level.NONE),
    ("в ванной нож рядом на раковине, режу хлеб не там lol", Level.NONE),
    ("the cat got out through the skylight onto the roof again, how do I get her down", Level.NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


def test_emergency_from_history() -> None:
    verdict = safety.screen("it's really windy up here", history=["I'm sitting on the edge of the car park roof"])
    assert verdict.level == Level.EMERGENCY
    assert any(r.source == "history[0]" for r in verdict.reasons)


def test_roof_from_history_then_last_words() -> None:
    # added with dev14: on a roof (earlier message), then "one last time" now
    verdict = safety.screen(
        "хотел сказать кому-то спасибо напоследок", history=["выбрался через окно на карниз", "тут холодно"]
    )
    assert verdict.level == Level.EMERGENCY
