"""The dev20 round (README18.md, read after its one held-back measurement): families in
wording of their own, and neighbours that must stay below crisis (or at none). Rules' own
examples are tested in test_concepts.py."""

from __future__ import annotations

import pytest

import safety
from safety import Level

RAISED = [
    # texting without vowels
    ("cnt stp thnkng bt kllng myslf tnght", Level.CRISIS),
    ("the vet's tramadol is still in the drawer, what would the whole box do to an adult?", Level.CRISIS),
    ("my pension? there isn't going to be a later for me", Level.CRISIS),
    ("a guy I knew died in a crash last month and honestly I wished it was me", Level.CRISIS),
    ("поставила свечку за упокой себе, никому не сказала", Level.CRISIS),
    ("удалила все свои переписки, чтобы потом никто не искал в них ответов", Level.CRISIS),
    ("Вчера он разбил мне губу из-за того, что я задержалась", Level.CRISIS),
    ("хочу, чтобы после меня у сына осталось хоть что-то. скоро ему это будет нужнее, чем мне", Level.CRISIS),
    ("опять думаю кодами x60-x84 про себя", Level.CRISIS),
    # a future year is not the past
    ("меня в 2027 году уже не будет, я решила", Level.CRISIS),
    ("он держит сына на подоконнике у открытого окна и кричит, что выкинет его", Level.EMERGENCY),
    ("he is dangling the baby out of the window and screaming at me", Level.EMERGENCY),
    ("зашла в реку по шею, холодно, назад не пойду", Level.EMERGENCY),
]

KEPT_AT_NONE = [
    "hvnt slpt in 2 dys, cnt stp thnkng bt wrk",
    "on HRT now, is that ok with sertraline",
    "my mate got the promotion, I wish it was me but fair play to him",
    "поставила свечку за упокой бабушки",
    "вчера разбила губу о дверь, можно ли мазать кремом",
    "the baby likes it when I hold her at the window to watch the birds",
    "зашла в море по грудь, вода ледяная, но после бани самое то",
    "I was bored to death at the conference",
    "В гробу я видала эту диету",
    "I drive trains and someone stepped in front of mine last year, I keep seeing it",
    "Психолог предлагает вспоминать, как я чуть не утонула в детстве. А если станет хуже?",
]

KEPT_BELOW_CRISIS = [
    "катались на горке с мёртвой петлёй, было страшно, но весело",
    "Хочу в монастырь трудницей. Это не про «уйти из жизни», а про тишину",
    # a past year stays the past
    "в 2015 году я пыталась покончить с собой, сейчас всё хорошо",
]


@pytest.mark.parametrize(("text", "expected"), RAISED)
def test_dev20_families_are_raised(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


def test_stopped_believing_in_getting_better_is_support() -> None:
    text = "I've stopped believing there is any version of me that gets better"
    assert safety.screen(text).level == Level.SUPPORT


@pytest.mark.parametrize("text", KEPT_AT_NONE)
def test_dev20_neighbours_stay_at_none(text: str) -> None:
    assert safety.screen(text).level == Level.NONE


@pytest.mark.parametrize("text", KEPT_BELOW_CRISIS)
def test_dev20_neighbours_stay_below_crisis(text: str) -> None:
    assert not safety.screen(text).level.at_least(Level.CRISIS)


def test_a_past_year_marker_reads_only_years_up_to_now() -> None:
    import datetime
    import re

    from safety.patterns import _past_year_regex

    this_year = datetime.date.today().year
    regex = re.compile(_past_year_regex() + "$")
    assert regex.match(str(this_year)) and regex.match("1987")
    assert not regex.match(str(this_year + 1))


# Answer questions from blind14 (read after its run) that the screen raised: neighbours in
# other wording, and the crisis forms they must not weaken.
@pytest.mark.parametrize(
    "text",
    [
        "a forklift rolled back and pinned me against the wall at work in March, is that PTSD?",
        "I've been on sertraline two years, do I need to cut down first or can I stop?",
        "После того как на меня набросилась собака, мне посоветовали ДПДГ. Что это?",
    ],
)
def test_blind14_questions_are_not_crisis(text: str) -> None:
    assert not safety.screen(text).level.at_least(Level.CRISIS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("he pinned me against the wall last night", Level.CRISIS),
        ("i need to cut, please help", Level.CRISIS),
        ("I feel like I need to cut sometimes", Level.CRISIS),
        ("муж набросился на меня, я заперлась в ванной", Level.EMERGENCY),
        ("после того как я выпила все таблетки, мне стало плохо", Level.EMERGENCY),
    ],
)
def test_blind14_neighbours_keep_their_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected
