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
)
from safety.normalise import Normalised, normalise

__all__ = ["Token", "Sentence", "Document", "analyse", "BOUNDARY"]

BOUNDARY = "§"
_TOKEN = re.compile(r"(?P<word>[^\W_]+(?:'[^\W_]+)*)|(?P<stop>[.!?;\n]+)")
_SPACED = re.compile(
    r"(?<![^\W_])(?:[^\W\d_][\s.\-_*,·•/]{1,3}){2,}[^\W\d_](?![^\W_])"
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
    original: str
    normalised: Normalised
    tokens: tuple[Token, ...]
    stream: str
    token_starts: tuple[int, ...]  # where each token starts in the stream
    words: frozenset[str]  # every field of every token, for cheap rule gating
    sentence_of: tuple[int, ...]  # sentence number of each token
    sentences: tuple[Sentence, ...]
    detection: Detection
    positions: dict[str, list[int]]  # field -> indices of the tokens carrying it

    def tokens_for(self, stream_start: int, stream_end: int) -> tuple[int, int]:
        """Token indices (first, last inclusive) covered by a stream match."""
        first = bisect.bisect_right(self.token_starts, stream_start) - 1
        last = bisect.bisect_right(self.token_starts, max(stream_start, stream_end - 1)) - 1
        return max(first, 0), max(last, 0)

    def original_span(self, first: int, last: int) -> tuple[int, int]:
        start = self.tokens[first].start
        end = self.tokens[last].end
        return self.normalised.original_span(start, end)

    def matched_text(self, span: tuple[int, int]) -> str:
        return self.original[span[0] : span[1]]


def _spaced_runs(text: str) -> dict[int, tuple[int, str]]:
    """Start offset -> (end offset, joined letters) for "k i l l"-style runs."""
    runs: dict[int, tuple[int, str]] = {}
    for match in _SPACED.finditer(text):
        runs[match.start()] = (match.end(), "".join(_LETTERS_ONLY.findall(match.group())))
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


def _apply_phrases(tokens: list[Token], cyrillic: bool) -> list[Token]:
    phrases = russian_phrases() if cyrillic else english_phrases()
    if not phrases:
        return tokens
    firsts = {source[0] for source, _ in phrases}
    if not any(t.fields[0] in firsts for t in tokens):
        return tokens
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        replaced = False
        if tokens[i].fields[0] in firsts:
            for source, target in phrases:
                n = len(source)
                window = tokens[i : i + n]
                if len(window) == n and all(t.fields[0] == w for t, w in zip(window, source, strict=True)):
                    start, end = window[0].start, window[-1].end
                    out.extend(Token(piece, start, end) for piece in target)
                    i += n
                    replaced = True
                    break
        if not replaced:
            out.append(tokens[i])
            i += 1
    return out


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
    tokens: list[Token] = []
    skip_until = -1
    for match in _TOKEN.finditer(norm):
        start, end = match.start(), match.end()
        if start < skip_until:
            continue
        if match.lastgroup == "stop":
            if tokens and not tokens[-1].boundary:
                tokens.append(Token((BOUNDARY,), start, end))
            continue
        run = spaced.get(start)
        if run is not None:
            run_end, joined = run
            pieces = _joined_pieces(joined, translit)
            if pieces is not None:
                tokens.extend(Token(piece, start, run_end) for piece in pieces)
                skip_until = run_end
                continue
        word = match.group()
        if len(word) == 1 and word in _RU_SINGLE_WORDS:
            tokens.append(Token(analyse_russian_word(word)[0], start, end))
            continue
        for piece in _word_pieces(word, translit):
            tokens.append(Token(piece, start, end))
    if tokens and not tokens[-1].boundary:
        # Every stream ends with a boundary, so patterns can say "at the end" ("end it §").
        tokens.append(Token((BOUNDARY,), len(norm), len(norm)))
    if tokens:
        has_cyrillic = detection.lang in ("ru", "uk") or translit
        tokens = _apply_phrases(tokens, cyrillic=False)
        if has_cyrillic:
            tokens = _apply_phrases(tokens, cyrillic=True)
    starts: list[int] = []
    sentence_of: list[int] = []
    words: set[str] = set()
    sentences: list[Sentence] = []
    sentence_words: set[str] = set()
    sentence_first = 0
    position = 1  # the stream starts with a space
    parts: list[str] = []
    positions: dict[str, list[int]] = {}
    for index, token in enumerate(tokens):
        for field in token.fields:
            positions.setdefault(field, []).append(index)
        field_text = "/".join(token.fields)
        starts.append(position)
        position += len(field_text) + 1
        parts.append(field_text)
        sentence_of.append(len(sentences))
        if token.boundary:
            sentences.append(
                Sentence(sentence_first, index, starts[sentence_first], position,
                         frozenset(sentence_words))
            )
            words |= sentence_words
            sentence_words = set()
            sentence_first = index + 1
        else:
            sentence_words.update(token.fields)
    if sentence_first < len(tokens):
        sentences.append(
            Sentence(sentence_first, len(tokens) - 1, starts[sentence_first], position,
                     frozenset(sentence_words))
        )
        words |= sentence_words
    stream = " " + " ".join(parts) + " "
    return Document(
        original=text,
        normalised=normalised,
        tokens=tuple(tokens),
        stream=stream,
        token_starts=tuple(starts),
        words=frozenset(words),
        sentence_of=tuple(sentence_of),
        sentences=tuple(sentences),
        detection=detection,
        positions=positions,
    )
