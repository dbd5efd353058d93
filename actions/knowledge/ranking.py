"""Rank snippets for a question: BM25 over lemmas of snippet text + hints, with a prior
for the topics of the NLU intent and typo-tolerant matching of drug names.

One job: given a question, say which snippets fit best and how sure we are. Composition
of the reply lives in :mod:`composing`; the weights and thresholds in ``ranking.yml``.

Score of a snippet for a question (all factors >= 1 except coverage):

    BM25(question terms + wider terms)
      x coverage ** coverage_exponent       share of the question's weight it explains
      x (1 + hint_similarity_bonus x sim)   how closely one of its hints is the question
      x (1 + named_topic_boost)             if the question names its topic ("ketamine")
      x (1 - other_topic_penalty)           if it names another and this snippet's main
                                            topic is a different named one
      x (1 + intent_prior x confidence)     if the NLU intent is on its topic
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from .loading import Snippet
from .text import (
    broader_terms,
    content_lemmas,
    cue_terms,
    fuzzy_vocabulary,
    is_cyrillic,
    is_english_word,
)

__all__ = ["Ranked", "RankingSettings", "SnippetIndex", "build_indexes", "load_settings"]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class RankingSettings:
    k1: float
    b: float
    hint_weight: float
    bigram_weight: float
    cue_weight: float
    unknown_word_weight: float
    number_weight: float
    coverage_exponent: float
    hint_similarity_bonus: float
    named_topic_boost: float
    other_topic_penalty: float
    named_topics: Mapping[str, tuple[str, ...]]
    domain_terms: frozenset[str]
    off_domain_terms: frozenset[str]
    fuzzy_cutoff: float
    fuzzy_min_length: int
    stem_min_prefix: int
    intent_prior: float
    min_coverage: float
    min_coverage_in_domain: float
    min_coverage_with_intent: float
    min_coverage_with_intent_outside: float
    min_matched_outside: int
    max_unknown_outside: int
    min_intent_confidence: float
    second_snippet_ratio: float
    dominance_ratio: float
    min_coverage_dominant: float
    focus_max_words: int = 8
    focus_clear_coverage: float = 0.9
    focus_clear_ratio: float = 4.0
    story_min_words: int = 8
    referring_words: frozenset[str] = frozenset()
    question_words: frozenset[str] = frozenset()
    gated_topics: Mapping[str, frozenset[str]] = field(default_factory=dict)
    definable_terms: frozenset[str] = frozenset()
    generic_treatment_terms: frozenset[str] = frozenset()
    corpus_terms: frozenset[str] = frozenset()
    unrelated_topic_penalty: float = 0.0
    story_dominance_ratio: float = 1e9  # off unless ranking.yml sets it


@cache
def load_settings(path: Path = _HERE / "ranking.yml") -> RankingSettings:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    named = {str(k): tuple(v) for k, v in (data.get("named_topics") or {}).items()}
    domain = frozenset(str(t) for t in data.get("domain_terms") or ())
    off_domain = frozenset(str(t) for t in data.get("off_domain_terms") or ())
    referring = frozenset(str(t) for t in data.get("referring_words") or ())
    asking = frozenset(str(t) for t in data.get("question_words") or ())
    gated = {str(k): frozenset(str(t) for t in v) for k, v in (data.get("gated_topics") or {}).items()}
    definable = frozenset(str(t) for t in data.get("definable_terms") or ())
    generic = frozenset(str(t) for t in data.get("generic_treatment_terms") or ())
    corpus = frozenset(str(t) for t in data.get("corpus_terms") or ())
    return RankingSettings(
        **data["settings"], named_topics=named, domain_terms=domain, off_domain_terms=off_domain,
        referring_words=referring, question_words=asking, gated_topics=gated,
        definable_terms=definable, generic_treatment_terms=generic, corpus_terms=corpus,
    )


@dataclass(frozen=True)
class Ranked:
    snippet_id: str
    score: float  # orders the candidates (see the module docstring)
    coverage: float  # 0..1: share of the question's weight (IDF) found in the snippet
    # The question uses a term of the domain (PTSD, therapy, a drug) and this snippet
    # explains it: "how do I become a therapist" is not in the domain of a snippet that
    # shares only "become" with it.
    in_domain: bool = False
    matched: int = 0  # how many of the question's words the snippet explains
    off_domain: bool = False  # the question names another condition (migraine, flu...)
    unknown_words: int = 0  # content words of the question that no snippet uses
    # Coverage of the words some snippet uses: a story's own words ("sick note", "house
    # fire") are no evidence against a snippet that explains the domain term it asks about.
    coverage_known: float = 0.0
    words: int = 0  # content words of the question


def _with_bigrams(lemmas: list[str]) -> list[str]:
    return lemmas + [f"{a}_{b}" for a, b in zip(lemmas, lemmas[1:], strict=False)]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class SnippetIndex:
    """BM25 index of the snippets in one language (text in that language + its hints)."""

    def __init__(self, snippets: Iterable[Snippet], lang: str, settings: RankingSettings) -> None:
        self.lang = lang
        self.settings = settings
        self._ids: list[str] = []
        self._topics: list[frozenset[str]] = []
        self._main_topic: list[str] = []
        self._tf: list[dict[str, float]] = []
        self._length: list[float] = []
        self._hint_sets: list[tuple[frozenset[str], ...]] = []
        df: Counter[str] = Counter()
        for snippet in snippets:
            tf: defaultdict[str, float] = defaultdict(float)  # weighted term counts
            for term in _with_bigrams(content_lemmas(snippet.text_in(lang))):
                tf[term] += self._term_weight(term, 1.0)
            hint_sets = []
            for hint in snippet.hints_in(lang):
                lemmas = content_lemmas(hint)
                if lemmas:
                    hint_sets.append(frozenset(lemmas))
                for term in _with_bigrams(lemmas):
                    tf[term] += self._term_weight(term, settings.hint_weight)
            self._ids.append(snippet.id)
            self._topics.append(frozenset(snippet.topics))
            self._main_topic.append(snippet.topics[0] if snippet.topics else "")
            self._tf.append(tf)
            self._length.append(sum(tf.values()))
            self._hint_sets.append(tuple(hint_sets))
            df.update(tf.keys())
        n = len(self._ids)
        self._avg_length = sum(self._length) / max(n, 1)
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        # A figure quoted in a question ("the study of 117 patients") points at the one
        # snippet that states it more surely than any word does.
        for term in self._idf:
            if term.isdigit():
                self._idf[term] *= settings.number_weight
        # A word no snippet contains weighs like a rare word: it is evidence the
        # question is about something we have no snippet for.
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5) * settings.unknown_word_weight
        self._vocabulary = sorted(t for t in df if "_" not in t)
        self._known = frozenset(self._vocabulary)
        self._fuzzy_targets = {
            spelling: term for spelling, term in fuzzy_vocabulary().items() if term in self._known
        }

    def _term_weight(self, term: str, weight: float) -> float:
        if term in cue_terms():
            return weight * self.settings.cue_weight
        return weight * (self.settings.bigram_weight if "_" in term else 1.0)

    def _weight(self, word: str) -> float:
        return self._idf.get(word, self._unknown_idf)

    def _correct(self, word: str) -> str:
        """A word the snippets do not use, mapped onto one they do when it is clearly the
        same word: a misspelt drug name ("sertaline") or another form of a known word
        that lemmatisation did not join ("безопасно" / "безопасный")."""
        if word in self._known or word.isdigit():
            return word
        # A real English word is not a misspelling of a nearby key term ("minister" is not
        # "administer"); Russian forms are left to the stem match below.
        if len(word) >= self.settings.fuzzy_min_length and not (
            not is_cyrillic(word) and is_english_word(word)
        ):
            match = process.extractOne(
                word,
                list(self._fuzzy_targets),
                scorer=fuzz.ratio,
                score_cutoff=self.settings.fuzzy_cutoff,
            )
            if match:
                return self._fuzzy_targets[match[0]]
        if not is_cyrillic(word):
            return word  # English inflection is covered by the lemma table
        best, best_len = word, 0
        for known in self._vocabulary:
            shared = _common_prefix(word, known)
            needed = max(
                self.settings.stem_min_prefix, math.ceil(0.75 * min(len(word), len(known)))
            )
            if shared >= needed and shared > best_len:
                best, best_len = known, shared
        return best

    def question_terms(self, question: str) -> list[str]:
        return [self._correct(w) for w in content_lemmas(question)]

    def _explained(self, word: str, tf: Mapping[str, float]) -> float:
        """How much of ``word`` a snippet explains: all of it, or its class's share."""
        if word in tf:
            return self._idf[word]
        return max((self._idf[t] for t in broader_terms(word) if t in tf), default=0.0)

    def _hint_similarity(self, i: int, words: frozenset[str], total: float) -> float:
        """0..1: the best hint's (share of the hint found) x (share of the question)."""
        best = 0.0
        for hint in self._hint_sets[i]:
            shared = sum(self._weight(w) for w in hint & words)
            if shared:
                hint_mass = sum(self._weight(w) for w in hint)
                best = max(best, (shared / hint_mass) * (shared / total))
        return best

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
        # Coverage counts the words of the question; cue terms (what kind of question it
        # is) only steer the ranking.
        cues = cue_terms()
        content = [w for w in words if w not in cues] or words
        total_weight = sum(self._weight(w) for w in content)
        known_weight = sum(self._weight(w) for w in content if w in self._known) or total_weight
        named = {
            topic for topic, names in self.settings.named_topics.items() if word_set & set(names)
        }
        domain_words = [
            w
            for w in content
            if w in self.settings.domain_terms
            or any(t in self.settings.domain_terms for t in broader_terms(w))
        ]
        off_domain = bool(word_set & self.settings.off_domain_terms)
        names_corpus = bool(set(content) & self.settings.corpus_terms)
        unknown = sum(1 for w in content if w not in self._known and not w.isdigit())
        # Topics the question does not open (no term of theirs in it): their snippets are
        # never candidates ("who is most likely to get PTSD?" and the suicide-risk figure).
        closed = {t for t, terms in self.settings.gated_topics.items() if not word_set & terms}
        k1, b = self.settings.k1, self.settings.b
        scored: list[Ranked] = []
        for i, tf in enumerate(self._tf):
            if closed & self._topics[i]:
                continue
            norm = k1 * (1 - b + b * self._length[i] / self._avg_length)
            bm25 = sum(self._idf[t] * tf[t] * (k1 + 1) / (tf[t] + norm) for t in query if t in tf)
            if bm25 <= 0:
                continue
            explained = [self._explained(w, tf) for w in content]
            coverage = sum(explained) / total_weight
            # BM25 alone favours a snippet that repeats one common word; weighing it by
            # how much of the question the snippet explains prefers the fuller match.
            score = bm25 * coverage**self.settings.coverage_exponent
            score *= 1 + self.settings.hint_similarity_bonus * self._hint_similarity(
                i, word_set, total_weight
            )
            if named & self._topics[i]:
                score *= 1 + self.settings.named_topic_boost
            elif named and self._main_topic[i] in self.settings.named_topics:
                # The question names one treatment and this snippet is mainly about
                # another ("when does sertraline kick in" / ketamine as a bridge).
                score *= 1 - self.settings.other_topic_penalty
            elif named:
                # The question names a treatment and this snippet is about none: a shared
                # everyday word ("start" / "startle") should not carry it past the
                # snippets about that treatment.
                score *= 1 - self.settings.unrelated_topic_penalty
            if boost and self._topics[i] & boost_topics:
                score *= 1 + boost
            matched = sum(1 for e in explained if e > 0)
            # A term the whole corpus is about (PTSD) puts the question in the domain for
            # every snippet it matches, whether or not that snippet repeats the word ("that
            # review of 52 trials on PTSD medicines, how many people were in it").
            in_domain = names_corpus or any(self._explained(w, tf) > 0 for w in domain_words)
            scored.append(
                Ranked(self._ids[i], score, coverage, in_domain, matched, off_domain, unknown,
                       sum(explained) / known_weight, len(content))
            )
        scored.sort(key=lambda r: (-r.score, r.snippet_id))
        return scored


def build_indexes(
    snippets: Mapping[str, Snippet], langs: Iterable[str], settings: RankingSettings
) -> dict[str, SnippetIndex]:
    return {lang: SnippetIndex(snippets.values(), lang, settings) for lang in langs}
