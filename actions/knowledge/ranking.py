"""Rank snippets for a question: BM25 over lemmas of snippet text + hints, with a prior
for the topics of the NLU intent and typo-tolerant matching of drug names.

One job: given a question, say which snippets fit best and how sure we are. Composition
of the reply lives in :mod:`composing`; the decision thresholds live in ``ranking.yml``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from .loading import Snippet
from .text import broader_terms, content_lemmas, fuzzy_vocabulary

__all__ = ["Ranked", "RankingSettings", "SnippetIndex", "load_settings"]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class RankingSettings:
    k1: float
    b: float
    hint_weight: float
    bigram_weight: float
    unknown_word_weight: float
    coverage_exponent: float
    hint_match_bonus: float
    fuzzy_cutoff: float
    fuzzy_min_length: int
    intent_prior: float
    min_coverage: float
    min_coverage_with_intent: float
    min_intent_confidence: float
    second_snippet_ratio: float


@lru_cache(maxsize=None)
def load_settings(path: Path = _HERE / "ranking.yml") -> RankingSettings:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return RankingSettings(**data["settings"])


@dataclass(frozen=True)
class Ranked:
    snippet_id: str
    score: float  # BM25 plus the intent prior; orders the candidates
    coverage: float  # 0..1: share of the question's weight (IDF) found in the snippet


def _with_bigrams(lemmas: list[str]) -> list[str]:
    return lemmas + [f"{a}_{b}" for a, b in zip(lemmas, lemmas[1:])]


class SnippetIndex:
    """BM25 index of the snippets in one language (text in that language + its hints)."""

    def __init__(
        self, snippets: Iterable[Snippet], lang: str, settings: RankingSettings
    ) -> None:
        self.lang = lang
        self.settings = settings
        self._ids: list[str] = []
        self._topics: list[frozenset[str]] = []
        self._tf: list[Counter[str]] = []
        self._length: list[float] = []
        self._hint_sets: list[tuple[frozenset[str], ...]] = []
        df: Counter[str] = Counter()
        for snippet in snippets:
            tf: Counter[str] = Counter()
            for term in _with_bigrams(content_lemmas(snippet.text_in(lang))):
                tf[term] += self._term_weight(term, 1.0)
            hint_sets = []
            for hint in snippet.hints_in(lang):
                lemmas = content_lemmas(hint)
                hint_sets.append(frozenset(lemmas))
                for term in _with_bigrams(lemmas):
                    tf[term] += self._term_weight(term, settings.hint_weight)
            self._hint_sets.append(tuple(h for h in hint_sets if h))
            self._ids.append(snippet.id)
            self._topics.append(frozenset(snippet.topics))
            self._tf.append(tf)
            self._length.append(sum(tf.values()))
            df.update(tf.keys())
        n = len(self._ids)
        self._avg_length = sum(self._length) / max(n, 1)
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        # A word no snippet contains weighs like a rare word: it is evidence the
        # question is about something we have no snippet for.
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5) * settings.unknown_word_weight
        self._vocabulary = frozenset(t for t in df if "_" not in t)
        self._fuzzy_targets = {
            spelling: term for spelling, term in fuzzy_vocabulary().items() if term in self._vocabulary
        }

    def _term_weight(self, term: str, weight: float) -> float:
        return weight * (self.settings.bigram_weight if "_" in term else 1.0)

    def _correct(self, word: str) -> str:
        """Map a misspelt word onto a known drug name or key term ("sertaline")."""
        if word in self._vocabulary or len(word) < self.settings.fuzzy_min_length:
            return word
        match = process.extractOne(
            word, list(self._fuzzy_targets), scorer=fuzz.ratio, score_cutoff=self.settings.fuzzy_cutoff
        )
        return self._fuzzy_targets[match[0]] if match else word

    def question_terms(self, question: str) -> list[str]:
        return [self._correct(w) for w in content_lemmas(question)]

    def _explained(self, word: str, tf: Counter[str]) -> float:
        """How much of ``word`` a snippet explains: all of it, or its class's share."""
        if word in tf:
            return self._idf[word]
        return max((self._idf[t] for t in broader_terms(word) if t in tf), default=0.0)

    def rank(
        self, question: str, boost_topics: frozenset[str] = frozenset(), boost: float = 0.0
    ) -> list[Ranked]:
        """Every snippet with a positive score, best first."""
        words = list(dict.fromkeys(self.question_terms(question)))
        if not words:
            return []
        wider = [t for w in words for t in broader_terms(w) if t not in words]
        query = list(dict.fromkeys(_with_bigrams(words) + wider))
        word_set = frozenset(words + wider)
        total_weight = sum(self._idf.get(w, self._unknown_idf) for w in words)
        k1, b = self.settings.k1, self.settings.b
        scored: list[Ranked] = []
        for i, tf in enumerate(self._tf):
            norm = k1 * (1 - b + b * self._length[i] / self._avg_length)
            bm25 = sum(
                self._idf[t] * tf[t] * (k1 + 1) / (tf[t] + norm)
                for t in query
                if t in tf
            )
            if bm25 <= 0:
                continue
            if boost and self._topics[i] & boost_topics:
                bm25 *= 1 + boost
            coverage = sum(self._explained(w, tf) for w in words) / total_weight
            # BM25 alone favours a snippet that repeats one common word; weighing it by
            # how much of the question the snippet explains prefers the fuller match.
            score = bm25 * coverage**self.settings.coverage_exponent
            # A question that contains every word of one of the snippet's hints is
            # phrased the way that snippet expects ("what is PTSD, in simple words?").
            phrase = max(
                (sum(self._idf[w] for w in h) for h in self._hint_sets[i] if h <= word_set),
                default=0.0,
            )
            score *= 1 + self.settings.hint_match_bonus * phrase / total_weight
            scored.append(Ranked(self._ids[i], score, coverage))
        scored.sort(key=lambda r: (-r.score, r.snippet_id))
        return scored


def build_indexes(
    snippets: Mapping[str, Snippet], langs: Iterable[str], settings: RankingSettings
) -> dict[str, SnippetIndex]:
    return {lang: SnippetIndex(snippets.values(), lang, settings) for lang in langs}
