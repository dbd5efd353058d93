"""Which language a message is written in: script first, then frequent words.

Deliberately small: the screen only needs to pick the reply language (en/ru, other
languages fall back to English) and to notice Russian typed in Latin letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from safety._data import load_yaml

__all__ = ["Detection", "detect_language", "LANGUAGES"]

LANGUAGES = ("en", "ru", "uk", "de", "fr", "es", "pl")

# Only the start of a long message is needed to tell its language.
_SAMPLE_CHARS = 4000
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")


@dataclass(frozen=True)
class Detection:
    lang: str | None  # None when there is nothing to go on (no letters)
    confident: bool
    translit: bool = False  # Russian written in Latin letters
    translit_markers: int = 0  # how many words look like transliterated Russian


@cache
def _tables() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    data = load_yaml("language.yaml")
    stopwords = {lang: frozenset(words) for lang, words in data["stopwords"].items()}
    markers = {lang: letters for lang, letters in data["marker_letters"].items()}
    return stopwords, markers


def detect_language(text: str) -> Detection:
    sample = text[:_SAMPLE_CHARS].lower().replace("\u2019", "'")
    cyrillic = len(_CYRILLIC.findall(sample))
    latin = len(_LATIN.findall(sample))
    if cyrillic == 0 and latin == 0:
        return Detection(None, False)
    stopwords, markers = _tables()
    words = _WORD.findall(sample)
    if cyrillic > latin:
        uk_score = sum(1 for w in words if w in stopwords["uk"]) + 3 * sum(
            sample.count(ch) for ch in markers["uk"]
        )
        ru_score = sum(1 for w in words if w in stopwords["ru"])
        lang = "uk" if uk_score > ru_score else "ru"
        # Transliterated Russian inside a Cyrillic message ("пишу латиницей: ne hochu zhit").
        translit_words = sum(1 for w in words if w in stopwords["ru_translit"] and w.isascii())
        return Detection(lang, cyrillic >= 3, translit_markers=translit_words)
    scores: dict[str, float] = {}
    for lang in ("en", "de", "fr", "es", "pl", "ru_translit"):
        scores[lang] = float(sum(1 for w in words if w in stopwords[lang]))
    for lang in ("de", "fr", "es", "pl"):
        scores[lang] += 2 * sum(1 for ch in markers[lang] if ch in sample)
    markers_found = int(scores["ru_translit"])
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    runner_up = ranked[1][1]
    if best_score == 0:
        # Latin letters but no known words: most likely English (our main audience).
        return Detection("en", False)
    confident = best_score >= 2 and best_score > runner_up
    if best == "ru_translit":
        # Needs a real lead: short English words ("so", "tak") must not flip a message.
        if best_score >= 2 and best_score > scores["en"]:
            return Detection("ru", True, translit=True, translit_markers=markers_found)
        return Detection("en", False, translit_markers=markers_found)
    return Detection(best, confident, translit_markers=markers_found)
