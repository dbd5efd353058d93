"""The dev19 round (README17.md, read after its one held-back measurement): families in
wording of their own, and neighbours that must stay below crisis (or at none). Rules' own
examples are tested in test_concepts.py."""

from __future__ import annotations

import pytest

import safety
from safety import Level

RAISED = [
    # shorthand and symbols
    ("honestly the sui thoughts are back again", Level.CRISIS),
    ("been so sui lately, not sleeping", Level.CRISIS),
    ("barcoded my thighs again, second time this week", Level.CRISIS),
    ("у меня снова сх, уже неделю", Level.CRISIS),
    ("мне хочется ⚰️ по-настоящему", Level.CRISIS),
    ("i just want 🪦 honestly", Level.CRISIS),
    # no future
    ("see you in march, if i'm still around by then. hopefully not", Level.CRISIS),
    ("если я ещё буду жива к тому времени, на что я не надеюсь", Level.CRISIS),
    ("honestly if they found a tumour I'd be relieved", Level.CRISIS),
    ("если бы врач сказал, что у меня рак, я бы почувствовала облегчение", Level.CRISIS),
    ("my passwords are for her once I'm gone, which won't be long", Level.CRISIS),
    ("когда меня не станет, а это скоро, пусть кошку заберёт сестра", Level.CRISIS),
    ("Собрала себе вещи на похороны, ждать недолго", Level.CRISIS),
    ("help me with a card for my nephews, I want it to be the last thing they have from me", Level.CRISIS),
    # means
    ("a drawer full of old propranolol, what would the whole lot do to a heart like mine?", Level.CRISIS),
    # abuse and danger
    ("my boyfriend broke two of my ribs on Saturday", Level.CRISIS),
    ("Муж сломал мне палец, когда я отказалась брать кредит", Level.CRISIS),
    ("Сожитель точит нож на кухне и сказал, что сегодня кого-то из нас не будет", Level.EMERGENCY),
    # imminent on the road
    ("еду по трассе, отстегнула ремень, стрелка за сто пятьдесят", Level.EMERGENCY),
    ("on the bypass with my seatbelt off doing 100, there's a bridge pillar ahead", Level.EMERGENCY),
    ("I am standing on the hard shoulder. waiting for a big one", Level.EMERGENCY),
    ("стою на обочине трассы ночью. жду фуру побольше", Level.EMERGENCY),
    # self-harm through an allergy
    ("I'm allergic to peanuts and I ate some on purpose until my throat got tight", Level.CRISIS),
    ("у меня аллергия на орехи, а я специально их ем, пока не начнёт опухать горло", Level.CRISIS),
]

SUPPORT = [
    "я из этой ямы уже не выберусь, просто тоскливо",
    "I'll never climb out of this hole, I'm just so low",
]

KEPT_AT_NONE = [
    "the court said the ruling was sui generis",
    "where do I scan the barcode on my prescription box?",
    "в с/х академии учится мой брат",
    "retire at 70? if I'm still alive by then lol",
    "can you feed the cat once I'm gone on holiday? it won't be long, a week",
    "I was so relieved when the scan showed it wasn't cancer",
    "I broke my finger playing football last week",
    "my brother broke my nose by accident playing rugby",
    "my son broke my phone screen yesterday",
    "he broke my heart when he left",
    "I took my seatbelt off after I parked and my back hurt",
    "standing on the hard shoulder waiting for the recovery lorry, car broke down",
    "стою на обочине трассы, жду эвакуатор, машина заглохла",
    "I'm allergic to cats but got one on purpose anyway, is that mad?",
    "Can I pause my sessions? I'm having surgery and won't be around much, back in January",
    "I'll be dead to the world on Sunday morning so any time after 2 works",
    "Помогает ли фенибут при тревоге, или это пустая трата денег?",
]

KEPT_BELOW_CRISIS = [
    "this cake is just ⚰️ so good",
    "my dad broke my arm when I was nine, can EMDR help with that?",
]


@pytest.mark.parametrize(("text", "expected"), RAISED)
def test_dev19_families_are_raised(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


@pytest.mark.parametrize("text", SUPPORT)
def test_dev19_hopelessness_is_support(text: str) -> None:
    assert safety.screen(text).level == Level.SUPPORT


@pytest.mark.parametrize("text", KEPT_AT_NONE)
def test_dev19_neighbours_stay_at_none(text: str) -> None:
    assert safety.screen(text).level == Level.NONE


@pytest.mark.parametrize("text", KEPT_BELOW_CRISIS)
def test_dev19_neighbours_stay_below_crisis(text: str) -> None:
    assert not safety.screen(text).level.at_least(Level.CRISIS)


def test_belt_off_at_speed_in_the_history_carries_to_an_ordinary_message() -> None:
    history = ["еду по объездной, ремень отстегнула, стрелка за сто шестьдесят"]
    assert safety.screen("извините, что пишу", history=history).level == Level.EMERGENCY
