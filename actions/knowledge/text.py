"""Text to comparable terms: tokens -> lemmas -> canonical terms, for English and Russian.

Both snippets and questions go through :func:`terms`, so whatever normalisation happens
here happens on both sides. Lemmas:

* Russian: pymorphy2 (its dictionary guesses sensibly for drug names it does not know).
* English: spaCy's lookup table from the installed ``spacy-lookups-data`` package, read
  directly (importing spaCy would cost seconds and pull in a model we do not need).

Word lists (stop words, aliases that join brand names, transliterations and spellings
into one term) are data in YAML beside this module.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "broader_terms",
    "content_lemmas",
    "cue_terms",
    "fuzzy_vocabulary",
    "is_cyrillic",
    "is_english_word",
    "lemma",
    "terms",
    "tokens",
]

_HERE = Path(__file__).resolve().parent
_TOKEN_RE = re.compile(r"[a-zа-яё0-9]+", re.IGNORECASE)
_CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)


# "3 out of 4", "1 in 4", "3 из 4": a share the snippets state as a per cent figure.
_FRACTION_RE = re.compile(r"\b(\d{1,2})\s+(?:out\s+of|in|of\s+every|из)\s+(\d{1,3})\b")


def _as_percent(match: re.Match[str]) -> str:
    part, whole = int(match.group(1)), int(match.group(2))
    if not 0 < part <= whole:
        return match.group(0)
    return f"{match.group(0)} {round(100 * part / whole)} percent"


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; hyphens and punctuation split words ("TF-CBT" -> tf, cbt).
    A per cent sign is a word ("39%" -> 39, percent), as questions write it out, and a
    share in words gains its per cent figure ("3 out of 4" -> ... 75 percent)."""
    text = _FRACTION_RE.sub(_as_percent, text.lower()).replace("%", " percent ")
    return [t.replace("ё", "е") for t in _TOKEN_RE.findall(text)]


def is_cyrillic(token: str) -> bool:
    return bool(_CYRILLIC_RE.search(token))


@cache
def _load_yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load((_HERE / name).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    data = _load_yaml("stopwords.yml")
    words = [w for lang in ("en", "ru") for w in str(data.get(lang) or "").split()]
    return frozenset(w.replace("ё", "е") for w in words)


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    """variant lemma -> canonical term (a canonical term maps to itself)."""
    mapping: dict[str, str] = {}
    data = _load_yaml("aliases.yml")
    sections = [data.get("aliases") or {}, data.get("synonyms") or {}]
    for canonical, variants in (item for section in sections for item in section.items()):
        mapping[canonical] = canonical
        for variant in variants or []:
            parts = tokens(str(variant))
            if len(parts) != 1:
                raise ValueError(f"aliases.yml: {variant!r} must be a single word")
            mapping[parts[0]] = canonical
    return mapping


@lru_cache(maxsize=1)
def _sense_phrases() -> frozenset[str]:
    """Canonical phrase terms that replace their words (aliases.yml ``sense_phrases``)."""
    return frozenset(_load_yaml("aliases.yml").get("sense_phrases") or ())


@lru_cache(maxsize=1)
def _phrases() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """first lemma -> ((lemma sequence, canonical term), ...), longest sequence first.

    Several words that together mean one thing ("kick in", "open question", "через
    сколько") become one term, matched on lemmas before stop words are dropped, so
    phrases made of stop words ("don't know") count too.
    """
    found: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for canonical, variants in (_load_yaml("aliases.yml").get("phrases") or {}).items():
        for variant in variants or []:
            seq = tuple(lemma(t) for t in tokens(str(variant)))
            if len(seq) < 2:
                raise ValueError(f"aliases.yml: phrase {variant!r} needs two words or more")
            found.setdefault(seq[0], []).append((seq, str(canonical)))
    return {k: tuple(sorted(v, key=lambda p: -len(p[0]))) for k, v in found.items()}


@lru_cache(maxsize=1)
def _broader() -> dict[str, tuple[str, ...]]:
    raw = _load_yaml("aliases.yml").get("broader") or {}
    return {str(k): tuple(str(v) for v in vs or ()) for k, vs in raw.items()}


def broader_terms(term: str) -> tuple[str, ...]:
    """Wider terms a question about ``term`` is also about (sertraline -> antidepressant)."""
    return _broader().get(term, ())


@lru_cache(maxsize=1)
def fuzzy_vocabulary() -> dict[str, str]:
    """Words worth correcting when misspelt (drug names, key terms: the `aliases` section,
    not the everyday `synonyms`), in every listed spelling, each mapped to its term."""
    vocabulary: dict[str, str] = {}
    for canonical, variants in (_load_yaml("aliases.yml").get("aliases") or {}).items():
        vocabulary[canonical] = canonical
        for variant in variants or []:
            vocabulary[tokens(str(variant))[0]] = canonical
    return vocabulary


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy2  # imported lazily: building the analyser takes a noticeable moment

    return pymorphy2.MorphAnalyzer()


@lru_cache(maxsize=1)
def _english_lemmas() -> dict[str, str]:
    data = resources.files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        table: dict[str, str] = json.load(fh)
    # The table maps comparatives onto their base ("better" -> "well"); those merge
    # questions that mean different things, so keep the words as they are.
    for word in ("better", "best", "worse", "worst"):
        table.pop(word, None)
    # Nouns the table reads as comparatives: "can I trust a number like that" is not
    # about feeling numb, and "matter" is not "matt".
    for word in ("number", "matter"):
        table.pop(word, None)
    return table


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Every form the English lemma table knows, inflected or base."""
    table = _english_lemmas()
    return frozenset(table) | frozenset(table.values())


def is_english_word(word: str) -> bool:
    """Whether ``word`` is a real English word (so not a misspelling to correct)."""
    return word in _english_words()


def _english_lemma(token: str) -> str:
    found = _english_lemmas().get(token)
    if found:
        return found.lower()
    # Words the table does not know are base forms ("always") or plurals of words it
    # does not inflect ("ssris"): drop the -s only when that leaves a known base form.
    if token.endswith("s") and (token[:-1] in _english_bases() or token[:-1] in _aliases()):
        return token[:-1]
    return token


@lru_cache(maxsize=1)
def _english_bases() -> frozenset[str]:
    return frozenset(_english_lemmas().values())


def _russian_lemma(token: str) -> str:
    forms = [p.normal_form.replace("ё", "е") for p in _morph().parse(token)]
    # pymorphy2 guesses unknown drug names ("сертралина" -> "сертралина", feminine);
    # prefer a reading whose dictionary form is a term we know.
    known = _aliases()
    return next((f for f in forms if f in known), forms[0] if forms else token)


@lru_cache(maxsize=50_000)
def lemma(token: str) -> str:
    """Dictionary form of one lower-cased token, then its canonical alias if it has one."""
    if token.isdigit():
        base = token
    elif is_cyrillic(token):
        base = _russian_lemma(token)
    else:
        base = _english_lemma(token)
    return _aliases().get(base, _aliases().get(token, base))


@lru_cache(maxsize=1)
def _cues() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, term): what a question asks, when no single word says it ("how do SSRIs
    help" asks how they work; "neither therapy nor pills helped" is about nothing helping)."""
    raw = _load_yaml("aliases.yml").get("cues") or {}
    return tuple(
        (re.compile(rx, re.IGNORECASE), str(term)) for term, rxs in raw.items() for rx in rxs
    )


def cue_terms() -> frozenset[str]:
    """The terms cues add: they steer the ranking but explain nothing of a question."""
    return frozenset(term for _, term in _cues())


def content_lemmas(text: str) -> list[str]:
    """Lemmas of the words that carry meaning (stop words removed, phrases joined), in
    order, then the terms of the cues found in the text."""
    stop = _stopwords()
    phrases = _phrases()
    toks = tokens(text)
    lems = [lemma(t) for t in toks]
    out = []
    i = 0
    while i < len(toks):
        for seq, canonical in phrases.get(lems[i], ()):
            if tuple(lems[i : i + len(seq)]) == seq:
                # The phrase's own words stay too (a misspelt "side efects" still has
                # "side"), except for phrases that carry no topic ("_") and those that
                # change a word's sense ("trauma injury" is not psychological trauma).
                if canonical in _sense_phrases():
                    out.append(canonical)
                elif canonical != "_":
                    out.extend(lem for tok, lem in zip(toks[i : i + len(seq)], seq, strict=True)
                               if tok not in stop and lem not in stop)
                    out.append(canonical)
                i += len(seq)
                break
        else:
            if toks[i] not in stop and lems[i] not in stop:
                out.append(lems[i])
            i += 1
    folded = text.lower().replace("ё", "е").replace("’", "'")
    out.extend(term for pattern, term in _cues() if pattern.search(folded) and term not in out)
    return out


def terms(text: str) -> list[str]:
    """Index terms: content lemmas plus adjacent pairs ("side effect" -> "side_effect")."""
    lemmas = content_lemmas(text)
    return lemmas + [f"{a}_{b}" for a, b in zip(lemmas, lemmas[1:], strict=False)]
