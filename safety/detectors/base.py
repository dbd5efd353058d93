"""Base class for detectors, and the YAML-driven pattern detector most of them are.

A detector reads a :class:`~safety.analysis.Document` and returns :class:`Hit` objects;
each hit names its detector and rule, the span it matched and a score, so every verdict
explains itself. What a hit *means* for the final level (negation, past tense, context
from earlier messages) is decided in one place, :mod:`safety.decide`.

YAML layout of a pattern detector::

    version: "2026-11-21.1"
    macros: {self: "myself, me"}           # optional, used as <self>
    rules:
      - id: kill_self
        level: crisis                      # none | support | crisis | emergency
        score: 0.95
        role: ideation                     # what decide.py does with it (see there)
        patterns: ["kill|end <self>"]
        negatable: true                    # default: true from crisis up
        past_sensitive: true               # default: true from crisis up
        level_with_context: crisis         # only for role "means"
        examples: ["I want to kill myself"]        # checked by the tests
        counter_examples: ["this job is killing me"]
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from safety._data import load_yaml
from safety.analysis import Document, Sentence
from safety.patterns import CompiledPattern, PatternError, compile_pattern
from safety.verdict import Level

__all__ = ["Detector", "PatternDetector", "Rule", "Hit", "ROLES", "shared_macros", "parse_rules", "RuleSet"]

# Hits that open the gate for the statistical backstop: a signal of risk, however weak
# (a death or means mention, a farewell detail), not hopelessness or a question alone.
BACKSTOP_SIGNALS = frozenset(
    {"ideation", "self_harm", "imminent", "abuse", "third_person", "indirect", "means"}
)
# Notes (decide's and the concept detector's) that mean a rule judged the statement not
# the writer's present risk; the statistical backstop does not overrule them.
FRAMING_NOTES = frozenset(
    {"negated", "denied", "past", "hypothetical", "second", "about", "general", "fiction",
     "reported", "trivia", "help_q", "info"}
)


# What decide.py does with a rule's hits (documented there).
ROLES = frozenset(
    {
        "ideation",  # suicidal ideation / intent, first person
        "self_harm",
        "imminent",  # means at hand, act under way: emergency
        "abuse",  # danger from others
        "third_person",  # someone else at risk
        "indirect",  # indirect cue (burden, farewell, giving away): two together = crisis
        "means",  # a method question: crisis only with distress context
        "context",  # distress that makes a method question worrying
        "support",  # history, hopelessness, informational: a signpost
        "mask",  # an idiom or harmless phrase: hides other hits on the same words
        "marker",  # used by decide.py only (negation, past, present)
        "statistical",  # the statistical backstop: raises to crisis, never lowered by a frame
    }
)
_HEAD = 3  # prefix anchors are indexed by their first three letters
_HITS_PER_RULE = 8  # plenty to explain a verdict; bounds work on huge input
_HEAD_CACHE_SIZE = 65536  # words remembered for prefix anchors; beyond that, looked up each time


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    score: float
    role: str
    patterns: tuple[CompiledPattern, ...]
    negatable: bool
    past_sensitive: bool
    level_with_context: Level | None = None
    level_if_recent: Level | None = None
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    detector: str
    rule: Rule
    first: int  # token indices in the document, inclusive
    last: int
    span: tuple[int, int]  # in the original text
    matched: str
    sentence: int
    notes: tuple[str, ...] = field(default_factory=tuple)


class Detector(ABC):
    """One kind of evidence. Subclasses set ``name`` and implement :meth:`detect`."""

    name: ClassVar[str]

    @abstractmethod
    def detect(self, doc: Document) -> list[Hit]:
        """All hits in ``doc``, in any order."""

    @property
    def version(self) -> str:
        return "1"


def shared_macros() -> dict[str, str]:
    """Word groups every detector may use (safety/detectors/macros.yaml)."""
    data = load_yaml("detectors/macros.yaml")
    return {str(k): str(v) for k, v in (data.get("macros") or {}).items()}


def _parse_rule(raw: dict[str, Any], macros: dict[str, str], source: str) -> Rule:
    try:
        level = Level(raw["level"])
        role = str(raw["role"])
        patterns_raw = raw.get("patterns") or [raw["pattern"]]
    except KeyError as exc:
        raise ValueError(f"{source}: rule {raw.get('id')!r} lacks {exc}") from exc
    if role not in ROLES:
        raise ValueError(f"{source}: rule {raw['id']!r} has unknown role {role!r}")
    serious = level.at_least(Level.CRISIS)
    with_context = raw.get("level_with_context")
    if_recent = raw.get("level_if_recent")
    try:
        patterns = tuple(compile_pattern(str(p), macros) for p in patterns_raw)
    except PatternError as exc:
        raise ValueError(f"{source}: rule {raw['id']!r}: {exc}") from exc
    return Rule(
        id=str(raw["id"]),
        level=level,
        score=float(raw.get("score", 0.8)),
        role=role,
        patterns=patterns,
        negatable=bool(raw.get("negatable", serious)),
        past_sensitive=bool(raw.get("past_sensitive", serious)),
        level_with_context=Level(with_context) if with_context else None,
        level_if_recent=Level(if_recent) if if_recent else None,
        examples=tuple(str(e) for e in raw.get("examples", ())),
        counter_examples=tuple(str(e) for e in raw.get("counter_examples", ())),
    )


def parse_rules(data: dict[str, Any], source: str) -> tuple[Rule, ...]:
    """Compile the ``rules`` of one YAML file (shared macros + the file's own macros)."""
    macros = shared_macros()
    macros.update({str(k): str(v) for k, v in (data.get("macros") or {}).items()})
    rules = tuple(_parse_rule(raw, macros, source) for raw in data.get("rules") or ())
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{source}: duplicate rule ids {duplicates}")
    return rules


_Entry = tuple[str, "Rule", CompiledPattern]  # (detector name, rule, pattern)


class RuleSet:
    """Compiled rules plus an index from anchor words to rules, and the matching loop.

    One RuleSet may hold the rules of several detectors (the registry merges them, so a
    message's words are looked up once, not once per detector).
    """

    def __init__(self, rules: Iterable[tuple[str, Rule]]) -> None:
        self.entries: tuple[tuple[str, Rule], ...] = tuple(rules)
        by_word: dict[str, list[_Entry]] = {}
        by_head: dict[str, list[tuple[str, _Entry]]] = {}
        always: list[_Entry] = []
        for detector, rule in self.entries:
            for pattern in rule.patterns:
                entry = (detector, rule, pattern)
                anchor = pattern.anchor
                if anchor is None or any(len(p) < _HEAD for p in anchor.prefixes):
                    always.append(entry)
                    continue
                for word in anchor.words:
                    by_word.setdefault(word, []).append(entry)
                for prefix in anchor.prefixes:
                    by_head.setdefault(prefix[:_HEAD], []).append((prefix, entry))
        self._by_word = {k: tuple(v) for k, v in by_word.items()}
        self._by_head = {k: tuple(v) for k, v in by_head.items()}
        self._always = tuple(always)
        self._anchor_words = frozenset(self._by_word)
        self._head_cache: dict[str, tuple[_Entry, ...]] = {}

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for _, rule in self.entries)

    def _head_entries(self, word: str) -> tuple[_Entry, ...]:
        """Entries whose anchor is a prefix of ``word``, cached per word: a long message
        repeats its words, and a sentence then only needs a set intersection in C."""
        cached = self._head_cache.get(word)
        if cached is None:
            heads = self._by_head.get(word[:_HEAD]) or ()
            cached = tuple(entry for prefix, entry in heads if word.startswith(prefix))
            if len(self._head_cache) < _HEAD_CACHE_SIZE:
                self._head_cache[word] = cached
        return cached

    def _head_words(self, doc: Document) -> frozenset[str]:
        """The words of ``doc`` that some prefix anchor matches."""
        if not self._by_head:
            return frozenset()
        words: set[str] = set()
        for sentence in doc.sentences:
            words |= sentence.words
        return frozenset(word for word in words if self._head_entries(word))

    def _candidates(self, words: frozenset[str], head_words: frozenset[str]) -> list[_Entry]:
        found: dict[int, _Entry] = {}
        by_word = self._by_word
        # Set intersections in C first: most words of a sentence anchor nothing.
        for word in words & self._anchor_words:
            for entry in by_word[word]:
                found[id(entry[2])] = entry
        for word in words & head_words:
            for entry in self._head_entries(word):
                found[id(entry[2])] = entry
        for entry in self._always:
            found[id(entry[2])] = entry
        # All plain-word requirements must be present in the sentence.
        kept: list[_Entry] = []
        for entry in found.values():
            for requirement in entry[2].requires:
                if requirement.isdisjoint(words):
                    break
            else:
                kept.append(entry)
        return kept

    def find(self, doc: Document, only_sentences: frozenset[int] | None = None) -> list[Hit]:
        """Hits in ``doc`` (optionally only in the sentences numbered ``only_sentences``)."""
        hits: list[Hit] = []
        counts: dict[str, int] = {}
        seen: set[tuple[str, int, int]] = set()
        sentences = doc.sentences
        head_words = self._head_words(doc)
        for number, sentence in enumerate(sentences):
            if only_sentences is not None and number not in only_sentences:
                continue
            candidates = self._candidates(sentence.words, head_words)
            if not candidates:
                continue
            # A pattern may name a boundary ("suicidal § again"), so the search window
            # reaches into the next sentence; only matches that start here count.
            window_end = (
                sentences[number + 1].stream_end if number + 1 < len(sentences) else sentence.stream_end
            )
            for detector, rule, pattern in candidates:
                if counts.get(rule.id, 0) >= _HITS_PER_RULE:
                    continue
                for match in _matches(doc, sentence, pattern, window_end):
                    first, last = doc.tokens_for(match.start(), match.end() - 1)
                    key = (rule.id, first, last)
                    if key in seen:
                        continue
                    seen.add(key)
                    span = doc.original_span(first, last)
                    hits.append(
                        Hit(
                            detector=detector,
                            rule=rule,
                            first=first,
                            last=last,
                            span=span,
                            matched=doc.matched_text(span),
                            sentence=number,
                        )
                    )
                    counts[rule.id] = counts.get(rule.id, 0) + 1
                    if counts[rule.id] >= _HITS_PER_RULE:
                        break
        return hits


def _matches(
    doc: Document, sentence: Sentence, pattern: CompiledPattern, window_end: int
) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` starting in ``sentence``.

    When the pattern starts with a required word list, the regex is tried only at the
    tokens carrying one of those words; otherwise it scans the sentence.
    """
    regex = pattern.regex
    first = pattern.first
    if first is None:
        for match in regex.finditer(doc.stream, sentence.stream_start, window_end):
            if match.start() >= sentence.stream_end:
                return
            yield match
        return
    words, prefixes = first.words, first.prefixes
    pieces = doc.pieces
    for index in range(sentence.first, sentence.last + 1):
        piece = pieces[index]
        if words.isdisjoint(piece) and not (
            prefixes and any(f.startswith(p) for f in piece for p in prefixes)
        ):
            continue
        found = regex.match(doc.stream, doc.token_starts[index], window_end)
        if found is not None:
            yield found


class PatternDetector(Detector):
    """A detector whose rules live in ``safety/detectors/<yaml_file>``."""

    yaml_file: ClassVar[str]

    @cached_property
    def _data(self) -> dict[str, Any]:
        return load_yaml(f"detectors/{self.yaml_file}")

    @property
    def version(self) -> str:
        return str(self._data.get("version", "0"))

    @cached_property
    def rule_set(self) -> RuleSet:
        rules = parse_rules(self._data, f"safety/detectors/{self.yaml_file}")
        return RuleSet((self.name, rule) for rule in rules)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.rule_set.rules

    def detect(self, doc: Document) -> list[Hit]:
        return self.rule_set.find(doc)
