"""Indirect ideation: burden, no future, farewell (safety/detectors/indirect_ideation.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("everyone would be better off without me", Level.CRISIS),
    ("I'm just a burden to my family", Level.CRISIS),
    ("I'm not suicidal but everyone would be better off without me", Level.CRISIS),
    ("I can't see any future for myself", Level.CRISIS),
    ("whats the point of booking therapy for march. i wont be here", Level.CRISIS),
    ("this is my last message. thank you for trying", Level.CRISIS),
    ("I've been giving my stuff away", Level.CRISIS),
    ("gave my medals to my nephew and my watch to my best mate. they don't know why yet", Level.CRISIS),
    ("всем будет лучше без меня", Level.CRISIS),
    ("у меня нет будущего", Level.CRISIS),
    ("не ищите меня", Level.CRISIS),
    # harmless goodbyes and giving away
    ("goodbye and thanks!", Level.NONE),
    ("bye for now, speak tomorrow", Level.NONE),
    ("giving away the kids' old toys before we move house", Level.NONE),
    ("I won't be here next week, can we move the session?", Level.NONE),
    ("пока, до завтра", Level.NONE),
    ("I don't want to be a burden on my friends", Level.SUPPORT),
    # added with dev13: affairs put in order, messages to pass on, things given away
    ("bank details and pin numbers are in an envelope marked for my brother. apologised to my aunt for the stuff years back", Level.CRISIS),
    ("if mum ever asks whether I mentioned her, tell her I loved her so much", Level.CRISIS),
    ("скажи сестре, что я её ни в чём не виню. больше звонить не буду", Level.CRISIS),
    ("please tell him I don't blame him for any of it", Level.CRISIS),
    ("раздала: куртку соседке, книги племяннику. лучше пусть у них будет, чем выкинут", Level.CRISIS),
    ("сам я его уже не обниму на выпускном, пусть хоть видео посмотрит", Level.CRISIS),
    # burden: grief shorter than the trouble, leaving and not to anyone's
    ("my parents would get over my death faster than another five years of me like this", Level.CRISIS),
    ("зачем мне и дальше сидеть у сына на шее", Level.CRISIS),
    ("я решила, что уйду. и не к родителям.", Level.CRISIS),
    # no future
    ("there's no future where I'm still around, not one that has me in it", Level.CRISIS),
    ("honestly I'm not making it anywhere near another two years", Level.CRISIS),
    ("мне эта весна уже не понадобится", Level.CRISIS),
    ("до нового года я жить не собираюсь", Level.CRISIS),
    ("stop planning my 30th, it's a birthday I'm not going to have", Level.CRISIS),
    # the same words, harmless
    ("passwords for the wifi are in the folder marked for the guests", Level.NONE),
    ("tell her I loved the flowers, they were gorgeous", Level.NONE),
    ("до июня ждать не собираюсь, запишусь к частному врачу", Level.NONE),
    ("I'm not getting anywhere near 10k steps today lol", Level.NONE),
    ("мне этот зонт не понадобится, лето жаркое", Level.NONE),
    # added with dev14: the carer freed of the writer; living off someone and "time to end
    # it"; a future (old age, next year's plans) the writer will not have or need; affairs
    # left so that no one has to deal with anything
    ("my husband would have a better life if he wasn't stuck looking after me", Level.CRISIS),
    ("she'd have a better life if she wasn't stuck with me", Level.CRISIS),
    ("сестра тянет на себе и детей, и мои лекарства. сижу у неё на шее. хватит, пора это прекращать.", Level.CRISIS),
    ("still living off my parents at 30, time to end it for good", Level.CRISIS),
    ("сижу на шее у родителей, пора это заканчивать и искать работу", Level.NONE),
    ("living off my parents at 30, time to end this and get a job", Level.NONE),
    ("why floss, it's for an old age I'm never going to have", Level.CRISIS),
    ("бросила пить таблетки от давления. зачем беречь здоровье для старости, которой у меня не будет", Level.CRISIS),
    ("раздали ежедневники на следующий год. мне он уже не понадобится", Level.CRISIS),
    ("work handed out next year's wall planners. I won't need one", Level.CRISIS),
    ("раздали график дежурств на следующий год, мне он не пригодится, я ухожу в декрет", Level.NONE),
    ("next year's planner arrived. I won't need it, I retire in March", Level.NONE),
    ("saving for a future I'm never going to have at this rate, rent is insane", Level.NONE),
    ("updated my will and put the passwords in an envelope for my brother. no one will have to sort out my mess", Level.CRISIS),
    ("закрыла кредитку, переписала дачу на сестру. никому не придётся ни в чём разбираться", Level.CRISIS),
    ("set up the direct debits before my op so nobody has to chase anything while I'm in hospital", Level.NONE),
    ("the optician wanted to book my review for next year, I laughed and told them to give the slot to someone who'll actually turn up", Level.CRISIS),
    ("дочь просит пообещать, что я буду на её свадьбе через год. я не могу обещать", Level.CRISIS),
    ("my daughter made me promise to be at her graduation next summer. I changed the subject, I don't want to lie to her", Level.CRISIS),
    ("the dentist booked my check up, I laughed, they said give the slot to someone who'll turn up if I keep cancelling", Level.NONE),
    ("дочка просит пообещать, что я приду на выпускной. молчу, потому что там будет её отец, а я не хочу его видеть", Level.NONE),
    ("my son wants me to promise I'll come to his wedding next year. I don't want to lie, his dad will be there and I can't face him", Level.NONE),
    ("сижу на шее у родителей, но скоро стажировка, пора это заканчивать", Level.NONE),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_level(text: str, expected: Level) -> None:
    assert safety.screen(text).level == expected


def test_two_weak_cues_across_history_make_crisis() -> None:
    # "tell my sister I'm sorry" is now a farewell on its own (concepts.yaml); the
    # combination is shown with a cue that means nothing alone.
    verdict = safety.screen("can you tell my sister I'm sorry?", history=["there's no point anymore"])
    assert verdict.level == Level.CRISIS
    verdict = safety.screen("thanks for everything", history=["there's no point anymore"])
    assert verdict.level == Level.CRISIS
    assert any("combined cues" in r.rule for r in verdict.reasons)
    assert safety.screen("thanks for everything").level < Level.CRISIS
