"""The dev17 round (README15.md, read after its one held-back measurement): families in
wording of their own, and neighbours that must stay below crisis. Rules' own examples are
tested in test_concepts.py."""

from __future__ import annotations

import pytest

import safety
from safety import Level

RAISED = [
    ("honestly I don't think I'll still be around by christmas", Level.CRISIS),
    ("everyone would be a lot calmer without me, practically speaking", Level.CRISIS),
    ("the landlord says I owe him for the late rent and he wants sex", Level.CRISIS),
    ("my brother sent me all his old journals and now he won't pick up, his location is switched off", Level.CRISIS),
    ("lol been thinking about committing sudoku again", Level.CRISIS),
    ("active SI since Friday, no plan", Level.CRISIS),
    ("I wouldn't be upset if the plane went down tomorrow", Level.CRISIS),
    ("диплом сдам, а меня после июня уже не будет", Level.CRISIS),
    ("опять думаю про суисайд", Level.CRISIS),
    ("бывший сейчас развернулся и едет обратно, написал, что собьёт меня", Level.EMERGENCY),
    ("я давно хочу уйти из жизни, только сына жалко", Level.CRISIS),
]

KEPT_BELOW_CRISIS = [
    "the presentation went so badly I could have curled up and died",
    "can we sign a leaving card for Tom? he's moving to the Leeds clinic",
    "всю неделю снится, что я падаю с высоты, просыпаюсь в поту",
    "I dream that I'm drowning most nights, is that a PTSD thing?",
    "у коллеги полгода назад брат покончил с собой, как её поддержать?",
    "в восемнадцать я наглоталась таблеток, меня откачали, сейчас всё хорошо. это может вернуться?",
    # the aftermath of a past event is not the event again ("до сих пор", "и сейчас боюсь")
    "в детстве отчим бил меня, до сих пор вздрагиваю от громких голосов. поможет ли ДПДГ?",
    "в школе я резала руки, до сих пор остались шрамы, можно ли их убрать?",
    "в детстве меня били, и сейчас я боюсь громких голосов, это птср?",
]


@pytest.mark.parametrize(("text", "expected"), RAISED)
def test_dev17_families_are_raised(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


@pytest.mark.parametrize("text", KEPT_BELOW_CRISIS)
def test_dev17_neighbours_stay_below_crisis(text: str) -> None:
    assert not safety.screen(text).level.at_least(Level.CRISIS)


def test_a_wish_told_as_then_and_now_stays_a_crisis() -> None:
    history = ["иногда думаю, что лучше бы я тогда не выжил. и сейчас лучше бы меня не было"]
    assert safety.screen("напомните мне про приём завтра", history=history).level == Level.CRISIS
