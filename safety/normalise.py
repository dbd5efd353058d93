"""Character-level normalisation with a map back to the original offsets.

Steps (each one here because people type crisis words in these ways):

1. fold characters: NFKC (full-width letters), lower case, strip accents, drop
   zero-width and format characters, fold curly quotes and dashes;
2. mixed-script words: Cyrillic look-alikes inside a Latin word (and the reverse)
   are rewritten into the word's majority script;
3. leetspeak inside words ("k1ll", "$uicide");
4. Russian typed with the English keyboard layout ("[jxe evthtnm" is "хочу умереть"):
   a Latin word that is not English and reads as a Russian word on the ЙЦУКЕН keys is
   rewritten, when at least two words of the message do so. Same length, so no offsets.

Word-level repairs (spaced-out letters, repeated letters, slang, misspellings) happen
in :mod:`safety.analysis`, on tokens, where a dictionary is at hand.

Only step 1 can change the length of the text (a dropped zero-width character, "ß"
-> "ss"); the returned :class:`Normalised` keeps an offset map for that case so every
detector can report spans in the caller's original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from safety._data import load_yaml

__all__ = ["Normalised", "normalise", "fold_text"]

_LATIN_LETTER = re.compile(r"[a-z]")
_SCRIPT_SWITCH = re.compile(r"[a-z][\u0400-\u04ff]|[\u0400-\u04ff][a-z]")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"[^\W_]+")
# A word holding both Latin and Cyrillic letters (only these need un-mixing).
_MIXED_WORD = re.compile(
    r"[^\W_]*(?:[a-z][^\W_]*[\u0400-\u04ff]|[\u0400-\u04ff][^\W_]*[a-z])[^\W_]*"
)
# A run of keys that can type Russian letters in the English layout, between spaces.
_LAYOUT_CHUNK = re.compile(r"(?<!\S)[a-z\[\];',.`]{2,}(?!\S)")
_LEET_CANDIDATE = re.compile(r"[0-9@$!|+]")
# Starts only at the start of a run (the lookbehind), so a long text is scanned once.
_LEET_RUN = re.compile(r"(?<![\w@$!|+])[\w@$!|+]*[0-9@$!|+][\w@$!|+]*")


@dataclass(frozen=True)
class Normalised:
    text: str
    # offsets[i] = index in the original text of normalised character i (len+1 entries);
    # None when the normalised text has the same length as the original (the common case).
    offsets: list[int] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if self.offsets is None:
            return start, end
        last = len(self.offsets) - 1
        original_start = self.offsets[min(start, last)]
        original_end = self.offsets[min(end, last)] if end > start else original_start
        # ``end`` points one past the last char: map the last char and step past it.
        if end > start:
            original_end = self.offsets[min(end - 1, last)] + 1
        return original_start, original_end


@dataclass(frozen=True)
class _Tables:
    punctuation: dict[str, str]
    letters: dict[str, str]
    keep: frozenset[str]
    latin_to_cyrillic: dict[int, str]
    cyrillic_to_latin: dict[int, str]
    leet_latin: dict[str, str]
    leet_cyrillic: dict[str, str]
    number_unit: re.Pattern[str]
    keyboard_layout: dict[int, str]
    keyboard_layout_min_words: int
    keyboard_layout_max_chars: int


@cache
def _tables() -> _Tables:
    data = load_yaml("normalise.yaml")
    units = "|".join(sorted(set(data["number_units"]), key=len, reverse=True))
    return _Tables(
        punctuation=dict(data["punctuation"]),
        letters=dict(data["letters"]),
        keep=frozenset(data["keep"]),
        latin_to_cyrillic=str.maketrans(dict(data["latin_to_cyrillic"])),
        cyrillic_to_latin=str.maketrans(dict(data["cyrillic_to_latin"])),
        leet_latin=dict(data["leet_latin"]),
        leet_cyrillic=dict(data["leet_cyrillic"]),
        number_unit=re.compile(rf"\d+(?:[.,]\d+)?(?:{units})?"),
        keyboard_layout=str.maketrans(dict(data["keyboard_layout"])),
        keyboard_layout_min_words=int(data["keyboard_layout_min_words"]),
        keyboard_layout_max_chars=int(data["keyboard_layout_max_chars"]),
    )


@cache
def _fold_char(char: str) -> str:
    """What one non-ASCII character becomes (possibly "" or several characters)."""
    tables = _tables()
    if char in tables.punctuation:
        return tables.punctuation[char]
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me"):  # zero-width joiners, soft hyphens, combining marks
        return ""
    if category in ("Zs", "Zl", "Zp"):
        return " " if category == "Zs" else "\n"
    if category[0] == "C":  # controls, surrogates, private use, unassigned
        return " " if char not in "\n\t\r" else char
    lowered = unicodedata.normalize("NFKC", char).lower()
    out = []
    for piece in lowered:
        if piece in tables.letters:
            out.append(tables.letters[piece])
        elif piece in tables.keep or piece.isascii():
            out.append(piece)
        else:
            decomposed = unicodedata.normalize("NFD", piece)
            stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
            stripped = unicodedata.normalize("NFC", stripped) or piece
            out.append(tables.letters.get(stripped, stripped))
    return "".join(out)


@lru_cache(maxsize=1024)
def _char_class(chars: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


def _replace(text: str, table: dict[str, str]) -> str:
    """``text`` with each character in ``table`` replaced. A regex finds the few that
    change; ``str.translate`` with a dict looks every character up in Python (10+ ms on
    a 100 KB message)."""
    if not table:
        return text
    pattern = _char_class("".join(sorted(table)))
    return pattern.sub(lambda match: table[match.group()], text)


def _fold(text: str) -> tuple[str, list[int] | None]:
    if text.isascii():
        return text.lower(), None
    lowered = text.lower()
    if len(lowered) == len(text):
        # Lower case first (C speed), then substitute only the characters that still
        # change (a long Russian text has few: "ё", quotes, dashes). Folding a character
        # lower-cases it anyway, so the order makes no difference.
        folds = {c: _fold_char(c) for c in set(lowered) if not c.isascii()}
        if all(isinstance(v, str) and len(v) == 1 for v in folds.values()):
            return _replace(lowered, {c: str(v) for c, v in folds.items() if v != c}), None
    special = {c for c in set(text) if not c.isascii()}
    mapping: dict[str, str | int | None] = {c: _fold_char(c) for c in special}
    # Some characters vanish or expand: rebuild with an offset map. Runs of ordinary
    # characters are copied in slices so a 100 KB message stays fast.
    folded_chars = {c: str(v) for c, v in mapping.items()}
    changing = _char_class("".join(sorted(c for c, v in folded_chars.items() if len(v) != 1)))
    same_length = {c: v for c, v in folded_chars.items() if len(v) == 1 and v != c}
    pieces: list[str] = []
    offsets: list[int] = []
    cursor = 0
    for match in changing.finditer(text):
        start = match.start()
        if start > cursor:
            pieces.append(_replace(text[cursor:start].lower(), same_length))
            offsets.extend(range(cursor, start))
        replacement = folded_chars[match.group()]
        pieces.append(replacement)
        offsets.extend([start] * len(replacement))
        cursor = start + 1
    if cursor < len(text):
        pieces.append(_replace(text[cursor:].lower(), same_length))
        offsets.extend(range(cursor, len(text)))
    offsets.append(len(text))
    folded = "".join(pieces)
    if len(folded) + 1 != len(offsets):  # lower() changed a length: fall back char by char
        return _fold_slow(text, folded_chars)
    return folded, offsets


def _fold_slow(text: str, mapping: dict[str, str]) -> tuple[str, list[int]]:
    pieces: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        out = mapping.get(char)
        if out is None:
            out = char.lower()
        pieces.append(out)
        offsets.extend([index] * len(out))
    offsets.append(len(text))
    return "".join(pieces), offsets


def _unmix_scripts(text: str) -> str:
    """Rewrite look-alike letters in mixed Latin/Cyrillic words into the majority script."""
    if not _SCRIPT_SWITCH.search(text):
        return text  # no word switches script mid-way: nothing to un-mix
    tables = _tables()
    latin_total = len(_LATIN_LETTER.findall(text))
    cyrillic_total = len(_CYRILLIC_LETTER.findall(text))
    plain = _MIXED_WORD.sub(" ", text)
    plain_latin = len(_LATIN_LETTER.findall(plain))
    plain_cyrillic = len(_CYRILLIC_LETTER.findall(plain))

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        latin = len(_LATIN_LETTER.findall(word))
        cyrillic = len(_CYRILLIC_LETTER.findall(word))
        if not latin or not cyrillic:
            return word
        # A letter with no look-alike in the other script fixes the script: "XOЧY" is
        # Russian (no Latin "ч"), "kіll" English (no Cyrillic "l"), whatever the count.
        to_cyrillic_whole = all(ord(c) in tables.latin_to_cyrillic for c in _LATIN_LETTER.findall(word))
        to_latin_whole = all(ord(c) in tables.cyrillic_to_latin for c in _CYRILLIC_LETTER.findall(word))
        if to_cyrillic_whole != to_latin_whole:
            return word.translate(
                tables.latin_to_cyrillic if to_cyrillic_whole else tables.cyrillic_to_latin
            )
        # Both ways possible ("YMEPETЬ": the soft sign passes for a b): the script of the
        # message's unmixed words decides when it is clear ("ВСЁ ДОСТАЛО. YMEPETЬ").
        if to_cyrillic_whole and plain_cyrillic >= 2 * plain_latin + 3:
            return word.translate(tables.latin_to_cyrillic)
        if to_cyrillic_whole and plain_latin >= 2 * plain_cyrillic + 3:
            return word.translate(tables.cyrillic_to_latin)
        # A clear majority inside the word decides; otherwise the message's script does
        # ("yмepeть" in a Russian message is Russian even with four Latin look-alikes).
        if latin >= 2 * cyrillic:
            to_cyrillic = False
        elif cyrillic >= 2 * latin:
            to_cyrillic = True
        else:
            to_cyrillic = cyrillic_total > latin_total or (
                cyrillic_total == latin_total and cyrillic >= latin
            )
        if to_cyrillic:
            return word.translate(tables.latin_to_cyrillic)
        return word.translate(tables.cyrillic_to_latin)

    return _MIXED_WORD.sub(fix, text)


def _deleet(text: str) -> str:
    if not _LEET_CANDIDATE.search(text):
        return text
    tables = _tables()

    def fix(match: re.Match[str]) -> str:
        run = match.group()
        letters = [i for i, c in enumerate(run) if c.isalpha()]
        if len(letters) < 2 or tables.number_unit.fullmatch(run):
            return run
        cyrillic = bool(_CYRILLIC_LETTER.search(run))
        table = tables.leet_cyrillic if cyrillic else tables.leet_latin
        first, last = letters[0], letters[-1]
        chars = list(run)
        for i, c in enumerate(chars):
            if c not in table:
                continue
            interior = first < i < last
            leading = i < first and len(letters) >= 3 and all(
                chars[j] in table for j in range(i, first)
            )
            # "ki11": trailing ones straight after i/l are the word's double l.
            trailing_l = (
                c == "1" and not cyrillic and i > last and all(ch == "1" for ch in run[last + 1 : i])
                and run[last] in "il"
            )
            if interior or leading or trailing_l:
                # "ki1l", "ki11", "kil1": a one after i, after a one read as l, or
                # trailing after l is an l; elsewhere ("sl1de") a one is an i.
                if c == "1" and not cyrillic and i > 0 and (
                    chars[i - 1] == "i"
                    or (run[i - 1] == "1" and chars[i - 1] == "l")
                    or (trailing_l and chars[i - 1] == "l")
                ):
                    chars[i] = "l"
                else:
                    chars[i] = table[c]
        return "".join(chars)

    return _LEET_RUN.sub(fix, text)


def _layout_word(chunk: str, tables: _Tables) -> str | None:
    """The Russian word a Latin chunk types on the ЙЦУКЕН keys, or None.

    A trailing "," or "." may be real punctuation ("evthtnm," is "умереть,"), so the
    chunk is tried whole and then without it.
    """
    from safety.lexicon import english_vocabulary, russian_vocabulary

    core = chunk.strip(",.;'")
    if core.isalpha() and core in english_vocabulary():
        return None
    russian = russian_vocabulary()
    for candidate in (chunk, chunk.rstrip(",.")):
        converted = candidate.translate(tables.keyboard_layout)
        if len(converted) >= 2 and converted in russian:
            return converted + chunk[len(candidate):]
    return None


def _fix_layout(text: str) -> str:
    tables = _tables()
    if len(text) > tables.keyboard_layout_max_chars or not _LATIN_LETTER.search(text):
        return text
    found = [
        (match.start(), match.end(), word)
        for match in _LAYOUT_CHUNK.finditer(text)
        if (word := _layout_word(match.group(), tables)) is not None
    ]
    if len(found) < tables.keyboard_layout_min_words:
        return text
    chars = list(text)
    for start, end, word in found:
        chars[start:end] = word
    return "".join(chars)


def fold_text(text: str) -> str:
    """Step 1 only (case, accents, look-alike letters such as "ё"): for pattern words."""
    return _fold(text)[0]


def normalise(text: str) -> Normalised:
    folded, offsets = _fold(text)
    unmixed = _unmix_scripts(folded)
    deleeted = _deleet(unmixed)
    return Normalised(text=_fix_layout(deleeted), offsets=offsets)
