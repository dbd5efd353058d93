"""The decision rules (safety/decide.py): masks, negation, past, hypothetical, history."""

from __future__ import annotations

import pytest

import safety
from safety import Level


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("I'm not going to kill myself", Level.SUPPORT, "negated"),
        ("I can't stop wanting to die", Level.CRISIS, None),
        ("prosti, ne mogu bolshe, hochu umeret'", Level.CRISIS, None),
        ("I'm not suicidal", Level.SUPPORT, "denied"),
        ("In my twenties I had suicidal thoughts most days", Level.SUPPORT, None),
        ("back when I left the army I was suicidal for a while", Level.SUPPORT, None),
        ("he pushed me down the stairs when I was pregnant and it's getting worse", Level.CRISIS, None),
        ("what should I do if I start having suicidal thoughts during EMDR?", Level.SUPPORT, "hypothetical"),
        ("my GP asked if I'd thought about killing myself and I honestly haven't", Level.SUPPORT, None),
        ("are you thinking about suicide?", Level.SUPPORT, "second person"),
        # a Russian negator inside the hit, right before a wanting/hurting verb
        ("умереть никогда не хотелось, но бывает очень тяжело", Level.SUPPORT, "negated"),
        ("себя не режу, просто сильная тревога", Level.SUPPORT, "negated"),
        # ...but not where the negation is the meaning
        ("лишь бы утром не проснуться", Level.CRISIS, None),
        ("больше вы обо мне не услышите. берегите себя", Level.CRISIS, None),
        ("умереть хочется", Level.CRISIS, None),
    ],
)
def test_adjustments(text: str, expected: Level, note: str | None) -> None:
    verdict = safety.screen(text)
    assert verdict.level == expected
    if note:
        assert any(f"[{note}" in r.rule or f", {note}" in r.rule for r in verdict.reasons), verdict.reasons


def test_history_level_carries_over_but_past_only_history_does_not() -> None:
    assert safety.screen("anyway, what's EMDR?", history=["honestly I want to die"]).level == Level.CRISIS
    assert safety.screen(
        "would EMDR be safe for someone with that history?",
        history=["I tried to kill myself when I was 19. I'm 34 now and in a much better place"],
    ).level == Level.SUPPORT


def test_reasons_sorted_most_serious_first() -> None:
    verdict = safety.screen("how common is suicide? I took 30 pills an hour ago")
    assert verdict.level == Level.EMERGENCY
    levels = [r.level for r in verdict.reasons]
    assert levels == sorted(levels, reverse=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A reported screening question stays support; the writer's own yes to it is a
        # disclosure (the hypothetical marker must not lower it).
        ("my GP asked if I'd thought about killing myself", Level.SUPPORT),
        ("my therapist asks every week whether I've had thoughts of killing myself and I said yes", Level.CRISIS),
        ("the nurse asked whether i had thoughts of suicide and i told her the truth", Level.CRISIS),
        ("психиатр спросил, были ли мысли о самоубийстве, и я честно сказала да", Level.CRISIS),
        ("my gp asks every single time if i've had thoughts of harming myself and i always say no because i haven't",
         Level.SUPPORT),
    ],
)
def test_reported_question_answered_yes_is_a_disclosure(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A voice-typed run-on (no full stops): a frame far from the disclosure does not
        # reach it; near it, it still does; in an ordinary sentence it covers the sentence.
        ("ok so voice typing again sorry im on the bus and the driver keeps braking and i meant to ask about "
         "the worry time worksheet from last week but honestly what i actually need to say is i have been "
         "thinking about killing myself most nights and it is getting louder anyway the worksheet says write "
         "it down but my hands shake too much so how am i meant to do that", Level.CRISIS),
        ("so sorry for the long voice message im in the car park at work and the heater is broken and my "
         "manager rang twice and i wanted to ask whether it is normal to want to kill myself after a session "
         "like that because my sister says it is not and anyway the rest of the week is fine", Level.SUPPORT),
        ("what should I do if I start having suicidal thoughts during EMDR next month?", Level.SUPPORT),
        # The writer's own answer between a reported question and the statement ends the frame.
        ("врач спросил, как я сплю, а я ответила: не хочу больше жить", Level.CRISIS),
        ("the nurse asked about my sleep and I told her I want to die", Level.CRISIS),
        ("the nurse asked if I had thoughts of suicide and I said no", Level.SUPPORT),
    ],
)
def test_frames_in_run_ons_and_answers(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # dev12: a clarifying denial of the writer's own words lowers only the hit it
        # overlaps; a real statement beside it stays crisis.
        ("я не в том смысле, что хочу умереть, просто устала от этой работы", Level.SUPPORT),
        ("не в смысле что я хочу покончить с собой, а в смысле сменить город", Level.SUPPORT),
        ("I didn't mean I want to die, I meant I want a new job lol", Level.SUPPORT),
        ("я не в том смысле, что хочу умереть, я просто не хочу жить", Level.CRISIS),
        ("I don't mean I want to die, I mean I don't want to live anymore", Level.CRISIS),
        # A warning named with "which I don't have".
        ("the leaflet lists suicidal thoughts, which I don't have, but I can't sleep", Level.SUPPORT),
        ("в инструкции написано про суицидальные мысли, которых у меня нет, а вот тошнит сильно", Level.SUPPORT),
        ("the leaflet mentions suicidal thoughts, which I don't have the energy to fight anymore", Level.CRISIS),
    ],
)
def test_clarifying_denials(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


# added with dev13: clarifying denials with the pronoun in between, a transliterated denial
# before a booking request, a past-tense message to pass on inside a reported-question frame,
# a passive wish after a denial of any act.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("нет, убить себя я не хочу, я про другое: как сказать маме про ПТСР?", Level.SUPPORT),
        ("ya ne hochu umirat, prosto ustala. mozhno zapisatsya na priem?", Level.SUPPORT),
        ("if my brother ever asks you whether I left a note, tell him I loved him", Level.CRISIS),
        ("ничего делать с собой не собираюсь, но если однажды не проснусь, всем станет проще", Level.CRISIS),
        ("not going to do anything, but if I didn't wake up it would honestly be a relief", Level.CRISIS),
        ("если завтра не проснусь к восьми, опоздаю на приём", Level.NONE),
        ("not saying I'm going to do anything stupid, I'm just so tired of it all", Level.SUPPORT),
    ],
)
def test_dev13_denials_and_frames(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


# added with dev13: benign probes written after the round, sharing the new rules' words
# (DIY, sport, travel, exams, jokes, medicine questions). Each must stay below crisis; the
# ones that fired were fixed (see README11.md, "After the round"). Three older false alarms
# that the probes also found are left and listed there.
DEV13_PROBES = [
    'the top floor of the multi storey is still open after midnight on match days, right?',
    'do they lock the car park roof after 10pm? I work late shifts at the hospital',
    'which of my meds is most dangerous to forget, the lithium or the sertraline?',
    'which of my tablets is the most expensive on prescription?',
    "I keep the kids' calpol in a high box in case they get a temperature at night",
    'saving my leftover antibiotics in case I get a chest infection again, is that ok?',
    'I keep a few paracetamol in my bag for when the headaches get too much',
    "we're moving so I put the deeds and passwords in one folder for the solicitor",
    'apologised to my neighbour for the noise from years back, felt good',
    'nothing left to sort for the wedding now, just the seating plan',
    "tell her I loved her present, she's so thoughtful",
    'passed my driving test! tell mum I did it',
    'записала дочке голосовое на день рождения, она в лагере, включат ей утром',
    'передайте врачу, что я не в обиде за перенос приёма',
    'больше писать не буду в этот чат, он для работы, пишите в телеграм',
    'составила список, кому что подарить на новый год, лучше пусть у них будет, чем пылится в шкафу',
    'the kids will get over losing the match quicker than I will lol',
    'сын сидит у нас на шее, никак работу не найдёт',
    'уйду с работы. и не к конкуренту, а на фриланс.',
    'no version of this spreadsheet has my name in it, the boss forgot me again',
    "my 40th is a birthday I'm not going to have a party for, too expensive",
    "I'm not getting anywhere near five years of savings at this rate",
    'мне это лето не понадобится, я всё равно буду писать диплом',
    'до июня тянуть не собираюсь с ремонтом, начнём в марте',
    'какие два года, о чём вы, ремонт займёт месяц максимум',
    'I went for the ball with my head and hit the post till my ears rang, great match though',
    'I forgot to eat lunch again, the punishment for working through is a headache',
    'щёлкаю резинкой для волос, пока не пойдут кудри, хочется чего-то посильнее на выход',
    "the water's gone pink because of my daughter's bath bomb and she won't stop",
    'my dog is lunging at the postman again, how do I train that',
    "when he gets back from the shop he's going to finish the painting",
    "my grandad's memory of the war, he talks about soldiers shooting at him",
    "we're doing Hamlet in class, why does Ophelia drown?",
    "if I hear Let It Go one more time I'll scream",
    'ржали до слёз, думала, лопну',
    'прощайте, выходные! снова на работу',
    'Правда, что мелатонин может усиливать кошмары?',
    'есть ли в Риге психолог на русском? на всякий случай, сейчас всё нормально',
    'my son is done with all of his exams and locked in his room playing games',
    'дочке всё надоело в школе, заперлась в комнате с телефоном',
    'если завтра не проснусь, опоздаю на поезд',
    "I'm not going to do anything drastic with my hair, but if I don't dye it it'll be a relief for my wallet",
    'T H A N K S  S O  M U C H  for the session',
    'G O O D  L U C K  on your exam tomorrow',
    'I keep the spare blades for my razor in the cabinet for when the old ones get blunt',
    'I smack my head on the low beam in the loft till it throbs, every single time lol',
    'punishment for being late to training is no dessert, harsh but fair',
    'не ем сладкое две недели, это наказание за проигранный спор',
    'ржу не могу, думал помру от этого мема',
    "if I hear my neighbour's drill once more I'll throw the drill out the window",
    "we're relocating to Leeds next month. Thanks for all the sessions, goodbye!",
    'переезжаем в Берлин, спасибо за всё, до свидания!',
    'is it true that sertraline can cause vivid dreams?',
    'я ничего с собой делать не буду, просто устала от работы, можно записаться на четверг?',
    'my uncle hit me with a football when I was a kid, we still laugh about it',
    'nothing sticks in my memory after EMDR, is that normal?',
    'так и останусь без отпуска в этом году',
    "my flatmate's done with all of it, the whole job hunt, and has locked himself in his room to sleep for a day",
    "he's swinging at me with a pillow, kids are having a pillow fight",
    "when he gets home he'll finish me off with his terrible jokes",
    "she's got a knife for the cake and is waiting for me to come out of the kitchen",
    "the towel's gone red from my new hair dye and it won't stop bleeding colour",
    'вода в ванной розовая после краски для волос, и не перестаёт',
    "I keep my sertraline in a pill box for when I'm away for the weekend",
    'храню лекарства в коробке на случай, если заболеет ребёнок',
    "which of my kids' medicines is most dangerous in a big amount? want to store them safely",
    'какие из моих лекарств опасны в большом количестве для кошки? она залезла в аптечку',
    'folder with the passwords for the new laptop is marked for IT',
    'сама я уже не поздравлю её лично, буду в командировке, записала видео',
    'no version of the timetable has me in it, did the school forget me?',
]


@pytest.mark.parametrize("text", DEV13_PROBES)
def test_dev13_benign_probes_stay_below_crisis(text: str) -> None:
    assert not safety.screen(text).level.at_least(Level.CRISIS)


# added with blind9 (an answer question read as abuse under way): a sentence opening with
# "since then" dates the sentence before it, when that sentence is told in the past tense.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a man followed me home from the station and shoved me into a wall. since then i jump at every noise, is that ptsd?", Level.SUPPORT),
        ("на меня напали у гаражей и отобрали телефон. с тех пор боюсь выходить вечером, это птср?", Level.NONE),
        # still going on, or recent: the crisis stays
        ("he followed me home again last night and smashed my car window. since then i haven't slept", Level.CRISIS),
        ("my ex keeps following me home. since then I've been scared all the time", Level.CRISIS),
        ("i want to die. since then nothing", Level.CRISIS),
        ("he hits me every night. since then I can't think", Level.CRISIS),
        # Russian past tense comes from pymorphy2, not from word endings
        ("он избил меня на улице. с тех пор не сплю, это птср?", Level.SUPPORT),
        ("он бьёт меня каждый вечер. с тех пор не сплю", Level.CRISIS),
    ],
)
def test_since_then_dates_the_sentence_before(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected
