"""Normalisation: each obfuscation kind still reaches the detectors; spans map back."""

from __future__ import annotations

import pytest

import safety
from safety import Level
from safety.analysis import analyse
from safety.normalise import normalise

OBFUSCATED = [
    ("zero-width space", "I want to k\u200bill myself"),
    ("zero-width joiner", "thinking about sui\u200dcide every day"),
    ("full-width letters", "ｉ ｗａｎｔ ｔｏ ｄｉｅ"),
    ("small capitals", "ɪ ᴡᴀɴᴛ ᴛᴏ ᴅɪᴇ"),
    ("leetspeak", "gonna k1ll mys3lf"),
    ("leet symbols", "i want to unal!ve"),
    ("spaced letters", "k i l l  m y s e l f  tonight"),
    ("dotted letters", "gonna k.m.s"),
    ("dashed letters", "k-i-l-l myself, that's what I want"),
    ("repeated letters", "i want to diieeeee"),
    ("all caps", "I WANT TO DIE SO BADLY RIGHT NOW"),
    ("curly quotes", "I don\u2019t want to be alive anymore"),
    ("accents", "feeling su\u00efcidal again"),
    ("combining marks", "feeling sui\u0301cidal again"),
    ("Cyrillic look-alikes in English", "i want to k\u0456ll mys\u0435lf"),
    ("Latin look-alikes in Russian", "хочу пoкончить с сoбoй"),
    ("leet in Russian", "хочу п0к0нчить с с0б0й"),
    ("transliterated Russian", "ya hochu pokonchit s soboy"),
    ("transliteration with soft sign", "prosti, ne mogu bolshe, hochu umeret'"),
    ("full-width transliteration", "ｈｏｃｈｕ ｕｍｅｒｅｔ"),
    ("misspelling", "thinking about sucide all the time"),
    ("Russian misspelling", "думаю про суецид"),
    ("slang kms", "honestly i just want to kms"),
    ("slang unalive", "thinking about unaliving myself tbh"),
    ("slang sewer slide", "sewer slide is all i think about lately"),
    ("Russian slang", "думаю роскомнадзорнуться"),
    ("run-together words", "iwanttodie"),
    # added with dev13: spaced capitals with wider gaps between the words
    ("spaced words", "I  W A N T  T O  E N D  I T  A L L"),
    ("spaced words, two spaces", "S W A L L O W E D  A L L  M Y  P I L L S"),
    # added with dev14: asterisks for letters inside a word
    ("asterisk in a word", "feeling su*cidal tonight, can't shake it"),
    ("asterisks in a word", "i want to k*ll m*self"),
    ("asterisk in Russian", "опять су*цидальные мысли по ночам"),
]


def test_spaced_words_keep_their_breaks() -> None:
    # "took them all", not "took the mall"; a harmless spaced phrase stays harmless
    assert safety.screen("T O O K  T H E M  A L L  just now").level == Level.EMERGENCY
    assert safety.screen("G O O D  L U C K  O N  T H E  E X A M").level == Level.NONE


@pytest.mark.parametrize(("kind", "text"), OBFUSCATED, ids=[k for k, _ in OBFUSCATED])
def test_obfuscation_is_seen_through(kind: str, text: str) -> None:
    assert safety.screen(text).level.at_least(Level.CRISIS), kind


def test_offsets_map_back_after_removed_characters() -> None:
    text = "ok. I w\u200bant to k\u200bill myself"
    verdict = safety.screen(text)
    reason = next(r for r in verdict.reasons if r.level.at_least(Level.CRISIS))
    assert text[reason.span[0] : reason.span[1]] == reason.matched
    assert reason.matched.replace("\u200b", "").endswith("myself")


def test_expansion_keeps_offsets() -> None:
    result = normalise("Stra\u00dfe x")
    assert result.text == "strasse x"
    assert result.original_span(8, 9) == (7, 8)


def test_numbers_and_doses_are_not_leetspeak() -> None:
    assert normalise("50mg 2nd 24/7 covid19").text == "50mg 2nd 24/7 covid19"


def test_mixed_script_words_only() -> None:
    assert normalise("привет hello").text == "привет hello"
    assert normalise("k\u0456ll").text == "kill"


def test_binary_and_odd_unicode_do_not_crash() -> None:
    for text in ["\x00\x01\x02", "\ud800 lone surrogate", "\U0001f480" * 50, "\u202e reversed", ""]:
        assert safety.screen(text).level in set(Level)


def test_tokens_carry_lemmas() -> None:
    doc = analyse("he took the pills")
    fields = {f for piece in doc.pieces for f in piece}
    assert {"took", "take", "pills", "pill"} <= fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ki11", "kill"), ("ki1l", "kill"), ("kil1", "kill"), ("ki11ing", "killing"),
     ("sl1de", "slide"), ("s3wer sl1de", "sewer slide")],
)
def test_leet_one_after_l(text: str, expected: str) -> None:
    # A one after l is an l only after a one read as l or trailing ("ki11"); "sl1de" is "slide".
    assert normalise(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A letter with no look-alike in the other script decides the word's script.
        ("XOЧY", "хочу"), ("ВСЁ ДОСТАЛО. XOЧY YME\u200bPETЬ", "всё достало. хочу умереть"),
        ("XOЧY ЖИTЬ", "хочу жить"), ("I want to kіll myself", "i want to kill myself"),
        # Convertible both ways: the script of the message's plain words decides.
        ("мне плохо. YMEPETЬ", "мне плохо. умереть"), ("i want to diе", "i want to die"),
    ],
)
def test_look_alikes_by_letters_without_a_twin(text: str, expected: str) -> None:
    assert normalise(text).text == expected


def test_censored_swear_words_are_not_read_as_pieces() -> None:
    # "sh*t" is not "sh" (self-harm slang); asterisks only stand for words that matter
    assert safety.screen("the sh*t hit the fan at work today").level == Level.NONE
    assert safety.screen("f*cking printer jammed again, my b*ss is fuming").level == Level.NONE


# added with dev16: Russian typed with the English keyboard layout still on
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[jxe evthtnm ой, раскладка не та", "хочу умереть ой, раскладка не та"),
        ("yt [jxe ;bnm", "не хочу жить"),
        # English words and single stray abbreviations are left alone
        ("I want to die", "i want to die"),
        ("lf ok thx", "lf ok thx"),
        ("lol the ytd figures are up, rfr?", "lol the ytd figures are up, rfr?"),
    ],
)
def test_wrong_keyboard_layout_is_read_as_russian(text: str, expected: str) -> None:
    normalised = normalise(text)
    assert normalised.text == expected
    assert len(normalised.text) == len(text)  # same length: spans map back unchanged


def test_wrong_keyboard_layout_reaches_the_screen() -> None:
    assert safety.screen("[jxe evthtnm").level == Level.CRISIS
