"""Turn a message into what the detectors read: tokens with lemmas, and a *stream*.

The stream is one string, ``" f1/f2 f1/f2/f3 § f1 "``: each token is its fields (the
surface form, then its lemmas) joined by "/", tokens are separated by single spaces,
and "§" marks a sentence boundary. Detectors' patterns are compiled to regular
expressions over this stream (see :mod:`safety.patterns`), so "take" in a pattern
matches "took", "taking" and "taken", and "took" matches only "took".

Word-level repairs happen here: letters spaced out ("k i l l", "s.u.i.c.i.d.e"),
run-together words, repeated letters, slang, misspellings, transliterated Russian.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain
from typing import NamedTuple

from safety.language import Detection, detect_language
from safety.lexicon import (
    Piece,
    analyse_english_word,
    analyse_russian_word,
    analyse_translit_word,
    english_phrases,
    english_vocabulary,
    russian_phrases,
    russian_vocabulary,
    segment,
    unstar,
)
from safety.normalise import Normalised, normalise
from safety.regex_cache import compile_rule

__all__ = ["Token", "Sentence", "Document", "analyse", "BOUNDARY"]

BOUNDARY = "§"
_WORDS = re.compile(r"[^\W_]+")
_BOUNDARY_PIECE: Piece = (BOUNDARY,)
_BOUNDARY_TEXT = BOUNDARY + " "
_TOKEN = re.compile(r"(?P<word>[^\W_]+(?:'[^\W_]+)*)|(?P<stop>[.!?;\n]+)")
_SPACED = re.compile(
    r"(?<![^\W_])(?:[^\W\d_][\s.\-_*,·•/]{1,3}){2,}[^\W\d_](?![^\W_])"
)
_WORD_GAP = re.compile(r"\s{2,}")
# A self-censored word: letters with asterisks inside or at the end ("s*icidal", "k*ll").
_STARRED = re.compile(
    r"(?<![^\W_])(?:[^\W\d_]*(?:\*+[^\W\d_]+)+\*?|[^\W\d_]+\*+)(?![^\W_])"
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTERS_ONLY = re.compile(r"[^\W\d_]")
_RU_SINGLE_WORDS = frozenset("яивскуоа")


class Token(NamedTuple):
    """One word (or a sentence boundary): its fields and its span in the normalised text.

    A NamedTuple rather than a dataclass: a long message has thousands of tokens and
    tuples are several times cheaper to create.
    """

    fields: Piece
    start: int
    end: int

    @property
    def boundary(self) -> bool:
        return self.fields[0] == BOUNDARY


@dataclass(frozen=True)
class Sentence:
    first: int  # token indices, inclusive
    last: int
    stream_start: int  # slice of the stream holding this sentence
    stream_end: int
    words: frozenset[str]


@dataclass(frozen=True)
class Document:
    """An analysed message. Tokens are kept as parallel lists (fields, spans, stream
    offsets) because a long message has tens of thousands of them; :meth:`token` builds
    a :class:`Token` view when one is needed."""

    original: str
    normalised: Normalised
    pieces: list[Piece]  # fields of each token
    spans: list[tuple[int, int]]  # span of each token in the normalised text
    stream: str
    token_starts: list[int]  # where each token starts in the stream (one extra: the end)
    sentences: tuple[Sentence, ...]
    detection: Detection

    @property
    def words(self) -> frozenset[str]:
        """Every field of every token (sentence boundaries excluded)."""
        out: set[str] = set()
        for sentence in self.sentences:
            out |= sentence.words
        return frozenset(out)

    @property
    def tokens(self) -> tuple[Token, ...]:
        return tuple(Token(p, s[0], s[1]) for p, s in zip(self.pieces, self.spans, strict=True))

    def token(self, index: int) -> Token:
        start, end = self.spans[index]
        return Token(self.pieces[index], start, end)

    def sentence_index(self, token_index: int) -> int:
        """Number of the sentence holding a token."""
        lasts = [s.last for s in self.sentences]
        return bisect.bisect_left(lasts, token_index)

    def tokens_for(self, stream_start: int, stream_end: int) -> tuple[int, int]:
        """Token indices (first, last inclusive) covered by a stream match."""
        starts = self.token_starts
        first = bisect.bisect_right(starts, stream_start) - 1
        last = bisect.bisect_right(starts, max(stream_start, stream_end - 1)) - 1
        limit = len(self.pieces) - 1
        return min(max(first, 0), limit), min(max(last, 0), limit)

    def original_span(self, first: int, last: int) -> tuple[int, int]:
        return self.normalised.original_span(self.spans[first][0], self.spans[last][1])

    def matched_text(self, span: tuple[int, int]) -> str:
        return self.original[span[0] : span[1]]


def _spaced_runs(text: str) -> dict[int, tuple[int, str]]:
    """Start offset -> (end offset, joined letters) for "k i l l"-style runs."""
    runs: dict[int, tuple[int, str]] = {}
    for match in _SPACED.finditer(text):
        run = match.group()
        # A wider gap (two or more spaces) between letter groups is a word break:
        # "T O O K  T H E M  A L L" is "took them all", not "took the mall".
        groups = _WORD_GAP.split(run) if _WORD_GAP.search(run) else [run]
        runs[match.start()] = (
            match.end(),
            " ".join("".join(_LETTERS_ONLY.findall(group)) for group in groups),
        )
    return runs


def _starred_runs(text: str) -> dict[int, tuple[int, str]]:
    """Start offset -> (end offset, the word meant) for "s*icidal"-style words.

    A starred word that stands for no word that matters (a censored swear word,
    "sh*t") is read as one word without its asterisks, never as its pieces ("sh").
    """
    runs: dict[int, tuple[int, str]] = {}
    for match in _STARRED.finditer(text):
        starred = match.group()
        word = unstar(starred)
        runs[match.start()] = (match.end(), word or starred.replace("*", ""))
    return runs


def _word_pieces(word: str, translit: bool) -> tuple[Piece, ...]:
    if _CYRILLIC.search(word):
        return analyse_russian_word(word)
    if translit and word.isascii():
        pieces = analyse_translit_word(word)
        if len(pieces) > 1 or len(pieces[0]) > 1:
            return pieces
    return analyse_english_word(word)


def _joined_pieces(joined: str, translit: bool) -> tuple[Piece, ...] | None:
    """Pieces for spaced-out letters, or None to keep them as single letters."""
    if " " in joined:
        groups = [group for group in joined.split(" ") if group]
        if len(groups) > 1:
            words: list[Piece] = []
            for group in groups:
                part = _joined_pieces(group, translit) if len(group) > 1 else None
                words.extend(part if part is not None else _word_pieces(group, translit))
            return tuple(words)
        joined = "".join(groups)
    cyrillic = bool(_CYRILLIC.search(joined))
    vocabulary = russian_vocabulary() if cyrillic else english_vocabulary()
    if joined in vocabulary:
        return _word_pieces(joined, translit)
    parts = segment(joined, vocabulary, vocabulary)
    if parts and not all(len(p) == 1 for p in parts):
        return tuple(piece for part in parts for piece in _word_pieces(part, translit))
    pieces = _word_pieces(joined, translit)
    if len(pieces) > 1 or len(pieces[0]) > 1:  # a slang expansion or a repaired word
        return pieces
    return None


@lru_cache(maxsize=8)
def _phrase_regex(cyrillic: bool) -> tuple[re.Pattern[str] | None, dict[str, tuple[Piece, ...]]]:
    """One regex for all multi-word slang ("sewer slide"), over the normalised text."""
    phrases = russian_phrases() if cyrillic else english_phrases()
    if not phrases:
        return None, {}
    targets: dict[str, tuple[Piece, ...]] = {}
    alternatives = []
    for source, target in phrases:
        key = " ".join(source)
        targets[key] = target
        alternatives.append(r"[\W_]{1,3}".join(re.escape(w) for w in source))
    alternatives.sort(key=len, reverse=True)
    # No lookbehind: a pattern that starts with the alternation lets the regex engine
    # skip ahead by first letter; the word-start check is done on each match instead.
    regex = compile_rule(r"(?:" + "|".join(alternatives) + r")(?![^\W_])")
    return regex, targets


def _phrase_runs(norm: str, cyrillic: bool) -> dict[int, tuple[int, tuple[Piece, ...]]]:
    runs: dict[int, tuple[int, tuple[Piece, ...]]] = {}
    for use_cyrillic in (False, True) if cyrillic else (False,):
        regex, targets = _phrase_regex(use_cyrillic)
        if regex is None:
            continue
        for match in regex.finditer(norm):
            start = match.start()
            if start and (norm[start - 1].isalnum()):
                continue  # inside a word ("this house" is not "s h")
            key = " ".join(_WORDS.findall(match.group()))
            pieces = targets.get(key)
            if pieces is not None and match.start() not in runs:
                runs[match.start()] = (match.end(), pieces)
    return runs


@lru_cache(maxsize=131072)
def _word_tokens(word: str, translit: bool) -> tuple[tuple[Piece, ...], tuple[str, ...]]:
    """Pieces of one word and their stream texts, cached (long texts repeat words)."""
    if len(word) == 1 and word in _RU_SINGLE_WORDS:
        pieces: tuple[Piece, ...] = (analyse_russian_word(word)[0],)
    else:
        pieces = _word_pieces(word, translit)
    return pieces, tuple("/".join(piece) + " " for piece in pieces)


def analyse(text: str) -> Document:
    normalised = normalise(text)
    norm = normalised.text
    detection = detect_language(norm)
    # Russian in Latin letters: look the words up in Russian too when the message has
    # a couple of tell-tale words, or one in a short message ("kak vypilitsya bez boli").
    translit = detection.translit or detection.translit_markers >= 2 or (
        detection.translit_markers == 1 and len(norm.split()) <= 8
    )
    spaced = _spaced_runs(norm) if len(norm) >= 5 else {}
    starred = _starred_runs(norm) if "*" in norm else {}
    phrases = _phrase_runs(norm, cyrillic=detection.lang in ("ru", "uk") or translit)
    special = spaced or phrases or starred
    # One pass, three parallel lists; everything else is derived with C-level helpers.
    pieces: list[Piece] = []
    texts: list[str] = []  # each token's stream text, with its trailing space
    spans: list[tuple[int, int]] = []
    boundaries: list[int] = []  # token indices of sentence boundaries
    skip_until = -1
    pieces_append, texts_append, spans_append = pieces.append, texts.append, spans.append
    word_tokens = _word_tokens
    for match in _TOKEN.finditer(norm):
        start = match.start()
        if start < skip_until:
            continue
        if match.lastgroup == "stop":
            if pieces and pieces[-1] is not _BOUNDARY_PIECE:
                boundaries.append(len(pieces))
                pieces.append(_BOUNDARY_PIECE)
                texts.append(_BOUNDARY_TEXT)
                spans.append(match.span())
            continue
        if special:
            replacement: tuple[Piece, ...] | None = None
            run_end = start
            if start in spaced:
                run_end, joined = spaced[start]
                replacement = _joined_pieces(joined, translit)
            if replacement is None and start in starred:
                run_end, joined = starred[start]
                replacement = _word_pieces(joined, translit)
            if replacement is None and start in phrases:
                run_end, replacement = phrases[start]
            if replacement is not None:
                for piece in replacement:
                    pieces.append(piece)
                    texts.append("/".join(piece) + " ")
                    spans.append((start, run_end))
                skip_until = run_end
                continue
        word_pieces, word_texts = word_tokens(match.group(), translit)
        if len(word_pieces) == 1:
            pieces_append(word_pieces[0])
            texts_append(word_texts[0])
            spans_append(match.span())
        else:
            pieces.extend(word_pieces)
            texts.extend(word_texts)
            spans.extend([match.span()] * len(word_pieces))
    if pieces and pieces[-1] is not _BOUNDARY_PIECE:
        # Every stream ends with a boundary, so patterns can say "at the end" ("end it §").
        boundaries.append(len(pieces))
        pieces.append(_BOUNDARY_PIECE)
        texts.append(_BOUNDARY_TEXT)
        spans.append((len(norm), len(norm)))
    starts = list(accumulate(map(len, texts), initial=1))
    sentences = []
    first = 0
    for last in boundaries:
        sentences.append(
            Sentence(first, last, starts[first], starts[last + 1],
                     frozenset(chain.from_iterable(pieces[first:last])))
        )
        first = last + 1
    return Document(
        original=text,
        normalised=normalised,
        pieces=pieces,
        spans=spans,
        stream=" " + "".join(texts),
        token_starts=starts,
        sentences=tuple(sentences),
        detection=detection,
    )
