"""Idioms and jokes with crisis words (safety/detectors/idioms.yaml): no crisis."""

from __future__ import annotations

import pytest

import safety
from safety import Level

IDIOMS = [
    "this traffic is killing me",
    "I'm dying to know what happens in the last episode",
    "I'm killing time before my appointment",
    "how do I kill the process that's stuck on my laptop?",
    "I could kill for a coffee right now",
    "my feet are killing me after walking round town all day",
    "I'm so hungry I could die",
    "that comedian absolutely killed it last night",
    "я чуть не умер со смеху",
    "убью за кофе",
    "убиваю время перед приёмом",
    "эта пробка меня убивает",
    "с этой налоговой хоть вешайся 😅",
    "да чтоб я сдох, если это не лучший борщ",
    # added with dev13: hyperbole about a song "one more time", laughing fit to die
    "если ещё раз поставят эту песню из мультика, выпрыгну в окно 😂",
    "if I hear that advert jingle one more time I'm jumping off the balcony lol",
    "так угорали над видео, я думала, помру",
    "we were cracking up all night, I thought I'd die",
    # added with dev14: a threat to "kill" over work, school or sport; an ordeal that "will
    # finish me off"; a venue on a roof
    "the coach says he'll murder us if we lose the final again",
    "препод сказал, что прибьёт, если курсовая опять опоздает",
    "if the sales figures are down again my manager will kill me",
    "this week of night shifts is gonna finish me off honestly",
    "похмелье после корпоратива меня добьёт",
    "the in laws staying for a fortnight will finish us off 😅",
    "is the rooftop bar open at night in winter",
    # added with dev14 (probes after the round)
    "we got onto the roof terrace after dark to watch the meteor shower, amazing",
    "can I get up on the roof at night to check the satellite dish if the signal keeps dropping",
    "the coach said he'd kill us if we lost the derby, we won 3-0 haha",
    "is the top deck of the ferry open at night on the crossing to Santander",
    "вылезла через окно на крышу балкона загорать, соседи в шоке",
    # added with dev15 (guards: these already passed before the round)
    "wrote christmas cards for everyone in the office, told them not to open them till the 25th",
    "off on holiday tomorrow, the dog goes to my sister's, everything's squared away",
    "nan says when you're my age you'll have a house. that's never happening with these rents",
    "the cat climbed out through the window onto the roof, how do I get her down",
]


@pytest.mark.parametrize("text", IDIOMS)
def test_idiom_is_not_a_crisis(text: str) -> None:
    assert not safety.screen(text).level.at_least(Level.CRISIS)


def test_mask_only_hides_what_it_covers() -> None:
    verdict = safety.screen("I'm dying to know if it gets better, because honestly I want to die")
    assert verdict.level == Level.CRISIS


@pytest.mark.parametrize("text", ["сегодня два года, как умерла бабушка. весь день плачу",
                                  "уже месяц как погиб друг, не могу спать"])
def test_time_since_a_death_is_not_a_how_to(text: str) -> None:
    # added with dev15: "год, как умер дед" counts time since a death; before the round it
    # read as "how to die" about someone else (support)
    assert safety.screen(text).level == Level.NONE
