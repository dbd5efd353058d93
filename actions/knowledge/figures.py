"""Figures stated in a text, so content checks can prove every number in a snippet
comes from its source ("never state a number that is not in these files").

Digits are read robustly: "52.54" == "52,54"; "3,870" may be 3870 or 3.87 (both are
kept as readings); ranges ("5–8", "5-8") give both ends; "US$800", "800 долларов",
"1960s", "PCL-5" and "39%" give their digits. Groups separated by a no-break or thin
space ("3 870") are one number. Number words ("six", "шесть", "twice", "вдвое",
"half", "половина") count too, so a figure written in words is also checked.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

__all__ = ["figures", "unsupported_figures"]

# Optional groups joined by no-break / thin space, then optional , or . parts.
_NUMBER = re.compile(r"\d+(?:[\u00a0\u202f]\d{3})*(?:[.,]\d+)*")
_WORD = re.compile(r"[a-zа-яё]+", re.IGNORECASE)

_EN_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
    "twice": "2",
    "half": "0.5",
    "dozen": "12",
    "single": "1",
    "double": "2",
}
_RU_WORDS = {
    "ноль": "0",
    "один": "1",
    "два": "2",
    "три": "3",
    "четыре": "4",
    "пять": "5",
    "шесть": "6",
    "семь": "7",
    "восемь": "8",
    "девять": "9",
    "десять": "10",
    "одиннадцать": "11",
    "двенадцать": "12",
    "двадцать": "20",
    "тридцать": "30",
    "сорок": "40",
    "пятьдесят": "50",
    "сто": "100",
    "тысяча": "1000",
    "миллион": "1000000",
    "вдвое": "2",
    "половина": "0.5",
    "полтора": "1.5",
}
# pymorphy2 tags under which a Russian word is read as a figure (avoids "три" as the
# imperative of "тереть" being missed, or "сорок" the birds being counted).
_RU_FIGURE_POS = {"NUMR", "NOUN", "ADVB", "ADJF"}


def _canonical(text: str) -> str:
    value = Decimal(text).normalize()
    return format(value, "f")


def _readings(token: str) -> set[str]:
    """Every value a written number may stand for."""
    token = token.replace("\u00a0", "").replace("\u202f", "")
    if re.fullmatch(r"\d+", token):
        return {_canonical(token)}
    readings = set()
    # Thousands separators: 3,870 / 1,000,000 (groups of exactly three digits).
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", token):
        readings.add(_canonical(re.sub(r"[,.]", "", token)))
    # A single decimal mark, either "." or "," (52.54 == 52,54).
    if re.fullmatch(r"\d+[.,]\d+", token):
        readings.add(_canonical(token.replace(",", ".")))
    if not readings:  # odd shapes ("3,4-..." chemistry, dotted ids): each part alone
        readings.update(_canonical(p) for p in re.split(r"[.,]", token) if p)
    return readings


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy2

    return pymorphy2.MorphAnalyzer()


def _word_value(word: str) -> str | None:
    lower = word.lower().replace("ё", "е")
    if lower in _EN_WORDS:
        return _EN_WORDS[lower]
    if re.search(r"[а-я]", lower):
        for parse in _morph().parse(lower):
            form = parse.normal_form.replace("ё", "е")
            if form in _RU_WORDS and parse.tag.POS in _RU_FIGURE_POS:
                return _RU_WORDS[form]
    return None


def figures(text: str) -> list[tuple[str, frozenset[str]]]:
    """Each figure in ``text`` as (as written, its possible values)."""
    found = [(m.group(0), frozenset(_readings(m.group(0)))) for m in _NUMBER.finditer(text)]
    for m in _WORD.finditer(text):
        value = _word_value(m.group(0))
        if value is not None:
            found.append((m.group(0), frozenset({value})))
    return found


def unsupported_figures(text: str, source_text: str) -> list[str]:
    """Figures in ``text`` with no reading that ``source_text`` also states."""
    available = set().union(*(values for _, values in figures(source_text)))
    return [written for written, values in figures(text) if not values & available]
