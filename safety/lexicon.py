"""Word-level knowledge: lemmas, slang, misspellings, Russian morphology and translit.

Every table is built on first use and cached for the life of the process:

* English lemmas: spacy-lookups-data's ``en_lemma_lookup`` table, read straight from
  the package's gzipped JSON (no spaCy import: importing spaCy costs seconds).
* Russian lemmas: pymorphy2. Parsing a word costs ~0.1 ms, too slow to do for every
  word of every message, so instead the lexemes (all inflected forms) of every Russian
  word used in the detectors' YAML are expanded once into a form -> lemma table; a
  message word then costs one dict lookup. pymorphy2 is also asked (cached) whether a
  word is a real word before a misspelling repair is accepted.
* Misspellings: rapidfuzz Damerau-Levenshtein against a short list of words that
  matter, only for words that are not already in the dictionary.

A word is returned as a tuple of *pieces*; each piece is a tuple of *fields*: the
surface form first, then its lemma(s). Detectors' patterns match any field.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from safety._data import PACKAGE_DIR, load_yaml

__all__ = [
    "Piece",
    "analyse_english_word",
    "analyse_russian_word",
    "analyse_translit_word",
    "english_phrases",
    "russian_past_verb",
    "russian_phrases",
    "english_vocabulary",
    "russian_vocabulary",
    "lexicon_version",
]

Piece = tuple[str, ...]  # (surface, lemma, lemma, ...)

_CYRILLIC_WORD = re.compile(r"[а-яё]+")
_VOWEL_I_END = re.compile(r"([aeiouy])i\b")
# A lone "c" (not the "ch" of ч) is a ц written the Polish/Czech way: "carapala" = "tsarapala".
_LONE_C = re.compile(r"c(?!h)")
_REPEAT = re.compile(r"(\w)\1+")
_CONTRACTION = re.compile(r"(\w+)'(ll|re|ve|d|m|s)")
_CONTRACTION_SUFFIXES: dict[str, Piece] = {
    "ll": ("will",),
    "re": ("are", "be"),
    "ve": ("have",),
    "d": ("would", "had"),
    "m": ("am", "be"),
    "s": ("'s", "is", "be"),
}
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_MIN_FUZZY_LENGTH = 5
_MIN_SKELETON_LENGTH = 4
_VOWELS = re.compile(r"[aeiou]")
_MIN_SPLIT_LENGTH = 6
_MAX_SPLIT_LENGTH = 40


def _skeleton(word: str) -> str:
    """"killing" -> "klng", "myself" -> "myslf": no a/e/i/o/u, no doubled letters."""
    return _REPEAT.sub(lambda m: m.group(1), _VOWELS.sub("", word))


def lexicon_version() -> str:
    return str(load_yaml("lexicon.yaml")["version"])


def _split_field_spec(spec: str) -> Piece:
    """"does/do" -> ("does", "do"); "not" -> ("not",)."""
    return tuple(part for part in spec.split("/") if part)


# --------------------------------------------------------------------------- English


@dataclass(frozen=True)
class _English:
    lemmas: dict[str, tuple[str, ...]]
    vocabulary: frozenset[str]
    expansions: dict[str, tuple[Piece, ...]]
    phrases: tuple[tuple[tuple[str, ...], tuple[Piece, ...]], ...]
    fuzzy_by_letter: dict[str, tuple[str, ...]]
    keywords: frozenset[str]
    # Texting without vowels ("kllng myslf" = "killing myself"): the consonant skeleton of
    # each fuzzy target, kept only when one target has it and it is 4 letters or more.
    skeletons: dict[str, str] = field(default_factory=dict)


def _spacy_table(name: str) -> Any:
    import spacy_lookups_data  # only to find its data folder; it imports nothing heavy

    path = Path(spacy_lookups_data.__file__).resolve().parent / "data" / name
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@cache
def _english() -> _English:
    data = load_yaml("lexicon.yaml")["en"]
    lookup: dict[str, str] = _spacy_table("en_lemma_lookup.json.gz")
    index: dict[str, list[str]] = _spacy_table("en_lemma_index.json.gz")
    lemmas: dict[str, tuple[str, ...]] = {
        form: (lemma,) for form, lemma in lookup.items() if form.isalpha() and form != lemma
    }
    for form, override in data["lemma_overrides"].items():
        lemmas[str(form)] = tuple(str(x) for x in override)
    vocabulary: set[str] = set(lookup) | set(lookup.values())
    for words in index.values():
        vocabulary.update(w for w in words if "_" not in w)
    function_words = {str(w) for w in data["function_words"]}
    targets = tuple(str(w) for w in data["fuzzy_targets"])
    vocabulary |= function_words | set(targets)
    expansions = {
        str(token): tuple(_split_field_spec(str(spec)) for spec in specs)
        for token, specs in data["expansions"].items()
    }
    vocabulary |= set(expansions)
    phrases = tuple(
        (tuple(str(w) for w in source), tuple(_split_field_spec(str(s)) for s in target))
        for source, target in data["phrases"]
    )
    by_letter: dict[str, list[str]] = {}
    for word in targets:
        by_letter.setdefault(word[0], []).append(word)
    # Words that make a split of a run-together word worth accepting ("killmyself").
    keywords = frozenset(targets)
    skeleton_owners: dict[str, set[str]] = {}
    for word in targets:
        skeleton_owners.setdefault(_skeleton(word), set()).add(word)
    skeletons = {
        key: next(iter(owners))
        for key, owners in skeleton_owners.items()
        if len(owners) == 1 and len(key) >= _MIN_SKELETON_LENGTH and key not in vocabulary
    }
    return _English(
        skeletons=skeletons,
        lemmas=lemmas,
        vocabulary=frozenset(w.lower() for w in vocabulary),
        expansions=expansions,
        phrases=phrases,
        fuzzy_by_letter={k: tuple(v) for k, v in by_letter.items()},
        keywords=keywords,
    )


def english_vocabulary() -> frozenset[str]:
    return _english().vocabulary


def english_phrases() -> tuple[tuple[tuple[str, ...], tuple[Piece, ...]], ...]:
    return _english().phrases


def _english_piece(word: str) -> Piece:
    lemmas = _english().lemmas.get(word)
    if lemmas:
        return (word, *[lemma for lemma in lemmas if lemma != word])
    return (word,)


def _dedupe_repeats(word: str, vocabulary: frozenset[str]) -> str | None:
    """"kiiiill" -> "kill", "pleaseee" -> "please": shrink letter runs until a word appears."""
    runs = list(_REPEAT.finditer(word))
    if not runs or len(runs) > 5:
        return None
    best: str | None = None
    for mask in range(1 << len(runs)):
        pieces: list[str] = []
        cursor = 0
        for bit, run in enumerate(runs):
            pieces.append(word[cursor : run.start()])
            keep = 1 if mask & (1 << bit) else 2
            pieces.append(run.group(1) * min(keep, len(run.group())))
            cursor = run.end()
        pieces.append(word[cursor:])
        candidate = "".join(pieces)
        longer = best is None or len(candidate) > len(best)
        if candidate != word and candidate in vocabulary and longer:
            best = candidate
    return best


def _fuzzy(word: str, by_letter: dict[str, tuple[str, ...]]) -> str | None:
    if len(word) < _MIN_FUZZY_LENGTH:
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    candidates = [c for c in by_letter.get(word[0], ()) if abs(len(c) - len(word)) <= 2]
    if not candidates:
        return None
    allowed = 1 if len(word) < 8 else 2
    found = process.extractOne(
        word, candidates, scorer=DamerauLevenshtein.distance, score_cutoff=allowed
    )
    return None if found is None else str(found[0])


def segment(word: str, vocabulary: frozenset[str], keywords: frozenset[str]) -> list[str] | None:
    """Split run-together words ("killmyself", "iwanttodie") using the dictionary.

    Fewest pieces wins; accepted only when every piece is a word and at least one
    piece is a word that matters to the screen, so names and rare words stay whole.
    """
    if len(word) > _MAX_SPLIT_LENGTH:
        return None
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            prefix = best[start]
            if prefix is None:
                continue
            piece = word[start:end]
            if len(piece) == 1 and piece not in ("i", "a", "я", "и", "в", "с", "к", "у", "о"):
                continue
            if piece in vocabulary:
                candidate = [*prefix, piece]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    result = best[n]
    if result is None or len(result) < 2 or len(result) > 5:
        return None
    if not any(piece in keywords for piece in result):
        return None
    return result


@lru_cache(maxsize=65536)
def analyse_english_word(word: str) -> tuple[Piece, ...]:
    """Pieces for one lower-cased Latin-script word."""
    lexicon = _english()
    expansion = lexicon.expansions.get(word)
    if expansion is not None:
        return tuple(_with_lemmas(piece) for piece in expansion)
    contraction = _CONTRACTION.fullmatch(word)
    if contraction is not None:
        stem, suffix = contraction.group(1), contraction.group(2)
        return (*analyse_english_word(stem), _CONTRACTION_SUFFIXES[suffix])
    if not word.isalpha() and not word.isdigit() and any(c.isalpha() for c in word):
        # Digits left inside a word by the normaliser ("suicid3"): read them as letters.
        candidate = word.translate(_LEET_DIGITS)
        if candidate.isalpha() and candidate != word:
            read = analyse_english_word(candidate)
            if any(len(piece) > 1 or piece[0] in lexicon.vocabulary for piece in read):
                return tuple((word, *piece) for piece in read)
    if word in lexicon.vocabulary or not word.isalpha():
        return (_english_piece(word),)
    repaired = _dedupe_repeats(word, lexicon.vocabulary)
    if repaired is not None:
        # Keep the typed word as the surface: "alle" (German) must stay "alle" even
        # though "ale" is an English word; "kiiill" gains the fields of "kill".
        return tuple((word, *piece) for piece in analyse_english_word(repaired))
    if len(word) >= _MIN_SPLIT_LENGTH:
        pieces = segment(word, lexicon.vocabulary, lexicon.keywords)
        if pieces is not None:
            return tuple(p for piece in pieces for p in analyse_english_word(piece))
    squeezed = _REPEAT.sub(lambda m: m.group(1) * min(2, len(m.group())), word)
    corrected = _fuzzy(squeezed, lexicon.fuzzy_by_letter)
    if corrected is not None and corrected != word:
        return tuple((word, *piece) for piece in analyse_english_word(corrected))
    if _VOWELS.search(word) is None:
        unvowelled = lexicon.skeletons.get(_skeleton(word))
        if unvowelled is not None:
            return tuple((word, *piece) for piece in analyse_english_word(unvowelled))
    return ((word,),)


def _with_lemmas(piece: Piece) -> Piece:
    """An expansion piece gains the lemma table's lemmas too ("does/do" stays, "pills" -> pill)."""
    if len(piece) > 1:
        return piece
    return _english_piece(piece[0])


# --------------------------------------------------------------------------- Russian


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy2

    return pymorphy2.MorphAnalyzer()


@lru_cache(maxsize=65536)
def _russian_known(word: str) -> bool:
    return bool(_morph().word_is_known(word))


@lru_cache(maxsize=4096)
def russian_past_verb(word: str) -> bool:
    """Whether pymorphy2's likeliest reading of ``word`` is a past-tense verb ("ударили",
    "напал"); "боли" or "угли" are not, whatever their ending."""
    parses = _morph().parse(word)
    return bool(parses) and "VERB" in parses[0].tag and "past" in parses[0].tag


def _words_in_detector_yaml() -> set[str]:
    words: set[str] = set()
    paths = [*sorted((PACKAGE_DIR / "detectors").glob("*.yaml")), PACKAGE_DIR / "decide.yaml"]
    for path in paths:
        if path.exists():
            words.update(_CYRILLIC_WORD.findall(path.read_text(encoding="utf-8").lower()))
    return words


@dataclass(frozen=True)
class _Russian:
    forms: dict[str, tuple[str, ...]]
    vocabulary: frozenset[str]
    expansions: dict[str, tuple[Piece, ...]]
    phrases: tuple[tuple[tuple[str, ...], tuple[Piece, ...]], ...]
    fuzzy_by_letter: dict[str, tuple[str, ...]]
    keywords: frozenset[str]  # words that make a split of a glued word worth accepting
    targets: frozenset[str]  # words worth repairing a misspelling into
    translit: dict[str, str]
    translit_by_head: dict[tuple[str, int], tuple[str, ...]]  # (first letter, length) -> keys
    latin_folds: tuple[tuple[str, str], ...]


def _yo(word: str) -> str:
    return word.replace("ё", "е")


def _romanise(word: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in word)


def _fold_latin(word: str, folds: Iterable[tuple[str, str]]) -> str:
    for old, new in folds:
        word = word.replace(old, new)
    return _VOWEL_I_END.sub(r"\1y", _LONE_C.sub("ts", word))


@cache
def _russian() -> _Russian:
    data = load_yaml("lexicon.yaml")["ru"]
    morph = _morph()
    # "ё" is folded to "е" everywhere (the normaliser does the same to messages).
    function_words = {_yo(str(w)) for w in data["function_words"]}
    targets = tuple(_yo(str(w)) for w in data["fuzzy_targets"])
    seeds = _words_in_detector_yaml() | function_words | set(targets)
    forms: dict[str, set[str]] = {}
    for seed in seeds:
        # Only real words: the YAML also holds misspelt examples ("умерет") that must
        # not become lemmas of their own.
        if not morph.word_is_known(seed):
            continue
        for parse in morph.parse(seed):
            lemma = parse.normal_form.replace("ё", "е")
            for form in parse.lexeme:
                key = form.word.replace("ё", "е")
                forms.setdefault(key, set()).add(lemma)
    form_table = {
        form: tuple(sorted(lemma for lemma in lemmas if lemma != form))
        for form, lemmas in forms.items()
    }
    expansions = {
        _yo(str(token)): tuple(_split_field_spec(_yo(str(spec))) for spec in specs)
        for token, specs in data["expansions"].items()
    }
    phrases = tuple(
        (tuple(_yo(str(w)) for w in source), tuple(_split_field_spec(_yo(str(s))) for s in target))
        for source, target in data["phrases"]
    )
    by_letter: dict[str, list[str]] = {}
    for word in targets:
        by_letter.setdefault(word[0], []).append(word)
    romanise_table = {str(k): str(v) for k, v in data["romanise"].items()}
    folds = tuple((str(a), str(b)) for a, b in data["latin_folds"])
    translit: dict[str, str] = {}
    for form in sorted(set(form_table) | function_words, key=len):
        translit.setdefault(_fold_latin(_romanise(form, romanise_table), folds), form)
    for token in expansions:
        translit.setdefault(_fold_latin(_romanise(token, romanise_table), folds), token)
    by_head: dict[tuple[str, int], list[str]] = {}
    for key in translit:
        if key:
            by_head.setdefault((key[0], len(key)), []).append(key)
    return _Russian(
        forms=form_table,
        translit_by_head={k: tuple(v) for k, v in by_head.items()},
        vocabulary=frozenset(form_table)
        | frozenset(function_words)
        | frozenset(expansions)
        | frozenset(targets),
        expansions=expansions,
        phrases=phrases,
        fuzzy_by_letter={k: tuple(v) for k, v in by_letter.items()},
        keywords=frozenset(targets),
        targets=frozenset(targets),
        translit=translit,
        latin_folds=folds,
    )


def russian_vocabulary() -> frozenset[str]:
    return _russian().vocabulary


def russian_phrases() -> tuple[tuple[tuple[str, ...], tuple[Piece, ...]], ...]:
    return _russian().phrases


def _russian_piece(word: str) -> Piece:
    return (word, *_russian().forms.get(word, ()))


_VOWEL_SWAPS = {"а": "о", "о": "а", "е": "и", "и": "е"}


def _vowel_variants(word: str) -> list[str]:
    """The word with one or two of its vowels swapped (а<->о, е<->и), shortest edits first."""
    positions = [i for i, ch in enumerate(word) if ch in _VOWEL_SWAPS]
    if not positions or len(positions) > 8:
        return []
    out: list[str] = []
    for i in positions:
        out.append(word[:i] + _VOWEL_SWAPS[word[i]] + word[i + 1 :])
    for a_index, i in enumerate(positions):
        for j in positions[a_index + 1 :]:
            chars = list(word)
            chars[i] = _VOWEL_SWAPS[chars[i]]
            chars[j] = _VOWEL_SWAPS[chars[j]]
            out.append("".join(chars))
    return out


@lru_cache(maxsize=65536)
def analyse_russian_word(word: str) -> tuple[Piece, ...]:
    """Pieces for one lower-cased Cyrillic word."""
    lexicon = _russian()
    expansion = lexicon.expansions.get(word)
    if expansion is not None:
        return tuple(
            piece if len(piece) > 1 else _russian_piece(piece[0]) for piece in expansion
        )
    if word in lexicon.vocabulary:
        return (_russian_piece(word),)
    repaired = _dedupe_repeats(word, lexicon.vocabulary)
    if repaired is not None:
        return tuple((word, *piece) for piece in analyse_russian_word(repaired))
    # "нехочу", "незнаю": the negation particle glued to the verb.
    if word.startswith("не") and word[2:] in lexicon.vocabulary:
        return (("не",), _russian_piece(word[2:]))
    # Spelling by ear: unstressed "а"/"о" and "е"/"и" confused ("хачу", "памереть").
    # A real word ("хачу" is one to pymorphy) is read so only into a word that matters.
    known = _russian_known(word)
    for variant in _vowel_variants(word):
        if variant in lexicon.vocabulary and (not known or variant in lexicon.targets):
            return tuple((word, *piece) for piece in analyse_russian_word(variant))
    # Words glued together (a zero-width joiner between them was dropped).
    if len(word) >= _MIN_SPLIT_LENGTH + 2 and not _russian_known(word):
        parts = segment(word, lexicon.vocabulary, lexicon.keywords)
        if parts is not None and all(len(part) >= 3 for part in parts):
            return tuple(p for part in parts for p in analyse_russian_word(part))
    squeezed = _REPEAT.sub(lambda m: m.group(1) * min(2, len(m.group())), word)
    corrected = _fuzzy(squeezed, lexicon.fuzzy_by_letter)
    if corrected is not None and corrected != word and not _russian_known(word):
        return tuple((word, *piece) for piece in analyse_russian_word(corrected))
    return ((word,),)


@lru_cache(maxsize=65536)
def analyse_translit_word(word: str) -> tuple[Piece, ...]:
    """Pieces for a Latin-script word in a message detected as transliterated Russian.

    The English reading is kept too ("ya" stays "ya"), and the Cyrillic reading is added
    as extra fields when the word is a known Russian word.
    """
    lexicon = _russian()
    key = _fold_latin(word, lexicon.latin_folds)
    cyrillic = lexicon.translit.get(key)
    if cyrillic is None and len(key) >= _MIN_FUZZY_LENGTH:
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        found = process.extractOne(
            key,
            [
                k
                for size in (len(key) - 1, len(key), len(key) + 1)
                for k in lexicon.translit_by_head.get((key[0], size), ())
            ],
            scorer=DamerauLevenshtein.distance,
            score_cutoff=1,
        )
        if found is not None:
            cyrillic = lexicon.translit[str(found[0])]
    if cyrillic is None:
        return ((word,),)
    pieces = analyse_russian_word(cyrillic)
    if len(pieces) == 1:
        return ((word, *pieces[0]),)
    return pieces


_STAR_RUN = re.compile(r"\*+")


@lru_cache(maxsize=4096)
def unstar(word: str) -> str | None:
    """The word that matters which a self-censored word stands for ("s*icidal", "k*ll").

    Each run of asterisks hides one letter or a few (a run of k: k-1 to k+1, at least
    one). Only the short list of words worth repairing a misspelling into is searched,
    and only a single answer is taken; the word needs two visible letters.
    """
    letters = word.replace("*", "")
    if len(letters) < 2 or "*" not in word:
        return None
    cyrillic = bool(_CYRILLIC_WORD.search(letters))
    targets = _russian().targets if cyrillic else _english().keywords
    pieces = _STAR_RUN.split(word)
    stars = _STAR_RUN.findall(word)
    parts = [re.escape(pieces[0])]
    for run, piece in zip(stars, pieces[1:], strict=True):
        parts.append(rf"\w{{{max(1, len(run) - 1)},{len(run) + 1}}}")
        parts.append(re.escape(piece))
    regex = re.compile("".join(parts))
    found = {target for target in targets if regex.fullmatch(target)}
    return found.pop() if len(found) == 1 else None
