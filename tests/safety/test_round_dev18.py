"""The dev18 round (README16.md, a development set measured once before it was read): each
family in wording of its own, and the neighbours that must stay below crisis. The rules'
own examples and counter-examples are tested in test_concepts.py."""

from __future__ import annotations

import pytest

import safety
from safety import Level

RAISED = [
    ("thinking of a cheap hotel on my own with do not disturb on the door for three days. would the cleaners come in?", Level.CRISIS),
    ("All the scarves are knitted and posted, one per niece. That was the last thing I needed to do. I don't plan to be around much longer.", Level.CRISIS),
    ("I'm the only reason my daughter won't move to Leeds. I can fix this for her, so she doesn't have to choose.", Level.CRISIS),
    ("I don't have a future and I'm tired of pretending otherwise.", Level.CRISIS),
    ("there won't be a me to use it, so I cancelled the gym membership", Level.CRISIS),
    ("I've wanted to alt+F4 myself for a month now", Level.CRISIS),
    ("I just want somebody to switch me off at the wall like an old telly.", Level.CRISIS),
    ("he punched a hole in the door right by my head because I was late home", Level.CRISIS),
    ("he's outside RIGHT NOW shouting he'll burn the flat down with us in it", Level.EMERGENCY),
    ("everything's swallowed now. just wanted to tell someone", Level.EMERGENCY),
    ("хочется ливнуть из этой жизни, честно", Level.CRISIS),
    ("я для них обуза, а обузу сбрасывают", Level.CRISIS),
    ("через полгода снова анализы, а я думаю: это уже будет не моя забота", Level.CRISIS),
    ("дальше декабря мне и не надо, календарь не покупаю", Level.CRISIS),
    ("лежу в сугробе у гаражей, пуховик сняла, телефон скоро сядет", Level.EMERGENCY),
    ("муж запер меня на балконе, на улице минус двенадцать, не открывает", Level.EMERGENCY),
    ("если бы была кнопка «не существовать», нажал бы сразу", Level.CRISIS),
]

KEPT_BELOW_CRISIS = [
    "кстати, какой высоты Останкинская башня? видно из окна",
    "how deep is too deep for a beginner on a snorkelling trip?",
    "if I put do not disturb up for two days on holiday will housekeeping still change the towels?",
    "через два месяца я увольняюсь, так что квартальный отчёт это уже будет не моя забота",
    "the scratches on my hands are from the new kitten, honestly, can we talk about sleep?",
    "I don't have a future in this company, so I'm applying elsewhere",
    "лежу в снегу с детьми, делаем ангелов, телефон скоро сядет, фоткаю",
    "everyone's booking holidays for the summer and I know something they don't: we're pregnant!",
]


@pytest.mark.parametrize(("text", "expected"), RAISED)
def test_dev18_families_are_raised(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


@pytest.mark.parametrize("text", KEPT_BELOW_CRISIS)
def test_dev18_neighbours_stay_below_crisis(text: str) -> None:
    assert not safety.screen(text).level.at_least(Level.CRISIS)


def test_cuts_found_on_someone_else_are_support() -> None:
    text = "Как понять, что подросток режет себя? У соседки сына нашли порезы, я теперь боюсь за своего."
    assert safety.screen(text).level == Level.SUPPORT
