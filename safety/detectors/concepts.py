"""Concept detector: words -> concept classes -> rules over combinations of concepts.

The other detectors match whole phrasings. This one works a level up, so that a
phrasing nobody wrote down is still recognised when its parts are:

1. **concepts** (``concepts.yaml``): each class (``WISH``, ``DEATH``, ``MEANS``,
   ``FAREWELL``...) is a list of words, matched on the surface form or any lemma
   (English: spacy-lookups-data; Russian: pymorphy2 lexemes, so ``умереть`` also
   finds ``умру``, ``умерла``), prefixes (``суицид*``) and phrases in the pattern
   language (``not wake up``); ``except`` patterns drop occurrences inside them
   (``live with``, ``dye my hair``). English and Russian (and a little of German,
   French, Spanish, Polish and Ukrainian) sit in the same classes, so one rule serves
   every language;
2. **occurrences**: each concept found in a sentence, with its token span and whether
   a negator governs it (same negators, window and breakers as ``decide.yaml``);
3. **rules**: a rule fires when all its groups (``[WISH, DEATH|SUICIDE]``) occur
   within ``window`` tokens (in one sentence, or across the message with
   ``scope: message``), optionally in order and with negation required
   (``negated: [WISH]``: "I don't want to live") or forbidden (``unnegated``: a
   negated occurrence lowers the hit to support with the note ``negated``);
4. **frames** that lower a hit to support, each shown as a note: who the statement is
   about (``persons``: a hit about the reader, "do you want to die?", is not the
   writer's), general, informational or fictional framing (``lowered_by``: the
   concept occurs in the sentence and the writer does not), ``blocked_by`` (no hit).
   Negation by a distant negator, denials, past tense, hypothetical framing, idiom
   masks and the combination of weak cues across messages are left to
   :mod:`safety.decide`, as for every detector.

Every hit names its rule (``concept.<id>``) and the concepts it saw, e.g.
``concept.wish_death`` matched "want ... die" with notes ``WISH+DEATH``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import product
from typing import Any, ClassVar

from safety._data import load_yaml
from safety.analysis import BOUNDARY, Document
from safety.detectors.base import Detector, Hit, Rule, RuleSet, _matches, parse_rules
from safety.normalise import fold_text
from safety.patterns import CompiledPattern
from safety.verdict import Level

__all__ = ["ConceptDetector", "ConceptRule", "Occurrence", "concept_occurrences"]

_YAML = "detectors/concepts.yaml"
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]\u2014\u2013]|\s-\s")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_HEAD = 3
_MAX_CANDIDATES = 8  # occurrences of one group tried per rule and sentence
_NEIGHBOURS = 2  # a message rule combines a sentence with up to two on either side
_HITS_PER_RULE = 8  # plenty to explain a verdict; bounds work on huge input
_HEAD_SENTENCES = 300  # of a very long message, the concepts read the first 300
_TAIL_SENTENCES = 100  # and the last 100 sentences
_PERSONS = frozenset({"self", "you", "other", "none"})
_STRONG_FRAMES = frozenset({"FICTION", "TRIVIA", "REPORTED", "HELP_Q"})
# "my thoughts of dying" is the writer's: a thought, wish or plan is not another person.
_MIND_CONCEPTS = frozenset({"THINK", "WISH", "URGE", "INTEND", "SELF"})


@dataclass(frozen=True)
class Occurrence:
    concept: str
    first: int  # token indices, inclusive
    last: int
    sentence: int
    negated: bool
    negator: int = -1  # token index of the negator (before or after), -1 if none


@dataclass(frozen=True)
class ConceptRule:
    rule: Rule  # what decide.py reads (id, level, role, flags)
    groups: tuple[tuple[str, ...], ...]  # all of them, each one of its concepts
    window: int
    ordered: bool
    clause: bool  # all parts in one clause (no comma, semicolon, dash between them)
    scope: str  # "sentence" or "message"
    negated: frozenset[str]
    unnegated: frozenset[str]
    persons: frozenset[str]
    content_persons: frozenset[str]  # whom the last part (the death, the means) may be about
    lowered_by: tuple[str, ...]
    blocked_by: tuple[str, ...]
    note: str  # a fixed note for every hit ("negated" for a rule that reads a denial)
    support_rule: Rule  # the same rule at support level, for lowered hits


@dataclass
class _Concepts:
    words: dict[str, frozenset[str]]  # word -> concepts
    prefixes: dict[str, tuple[tuple[str, frozenset[str]], ...]]  # head -> (prefix, concepts)
    phrases: RuleSet  # rule id = concept name (kept for compiling and inspection)
    exceptions: RuleSet  # rule id = concept name whose occurrences are dropped inside
    phrase_patterns: dict[str, tuple[CompiledPattern, ...]]  # concept -> its phrases
    except_patterns: dict[str, tuple[CompiledPattern, ...]]
    phrase_anchor_words: dict[str, frozenset[str]]  # concept -> anchor words of its phrases
    phrase_anchor_prefixes: dict[str, tuple[str, ...]]
    concept_words: dict[str, frozenset[str]]  # concept -> its single words
    concept_prefixes: dict[str, tuple[str, ...]]
    all_words: frozenset[str]
    names: frozenset[str]
    includes: dict[str, frozenset[str]] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # concept -> smallest number
    units: frozenset[str] = frozenset()  # "50 mg" is a dose, not a count


@dataclass(frozen=True)
class _Negation:
    negators: frozenset[str]
    prepositions: frozenset[str]  # "без", "without": negate a noun phrase, any script
    breakers: frozenset[str]
    window: int
    window_cyrillic: int
    post: frozenset[str]  # "мыслей нет.": a negator after the concept, before a pause


@dataclass(frozen=True)
class _Persons:
    self_words: frozenset[str]
    self_object: frozenset[str]
    you_words: frozenset[str]
    other_words: frozenset[str]
    determiners: frozenset[str]


def _fold(word: str) -> str:
    return fold_text(word) if not word.isascii() else word


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return load_yaml(_YAML)


def _load_concepts(data: dict[str, Any]) -> _Concepts:
    raw_concepts: dict[str, Any] = data.get("concepts") or {}
    names = frozenset(str(n) for n in raw_concepts)
    includes: dict[str, frozenset[str]] = {}
    words_by_concept: dict[str, set[str]] = {n: set() for n in names}
    prefixes_by_concept: dict[str, list[str]] = {n: [] for n in names}
    phrases_by_concept: dict[str, list[str]] = {n: [] for n in names}
    except_by_concept: dict[str, list[str]] = {}
    for name, spec in raw_concepts.items():
        name = str(name)
        spec = spec or {}
        for item in _str_list(spec.get("words")):
            item = item.strip().lower()
            if not item:
                continue
            if " " in item or "(" in item or "~" in item or "<" in item or item.startswith("="):
                phrases_by_concept[name].append(item)
            elif item.endswith("*"):
                prefixes_by_concept[name].append(_fold(item[:-1]))
            else:
                words_by_concept[name].add(_fold(item))
        phrases_by_concept[name].extend(p.lower() for p in _str_list(spec.get("phrases")))
        if spec.get("except"):
            except_by_concept[name] = [p.lower() for p in _str_list(spec.get("except"))]
        unknown = [i for i in _str_list(spec.get("includes")) if i not in names]
        if unknown:
            raise ValueError(f"safety/{_YAML}: concept {name} includes unknown {unknown}")
        includes[name] = frozenset(_str_list(spec.get("includes")))
    # A concept that includes others gets their words, prefixes and phrases too.
    changed = True
    while changed:
        changed = False
        for name, parts in includes.items():
            for part in parts:
                before = (len(words_by_concept[name]), len(prefixes_by_concept[name]),
                          len(phrases_by_concept[name]))
                words_by_concept[name] |= words_by_concept[part]
                for p in prefixes_by_concept[part]:
                    if p not in prefixes_by_concept[name]:
                        prefixes_by_concept[name].append(p)
                for p in phrases_by_concept[part]:
                    if p not in phrases_by_concept[name]:
                        phrases_by_concept[name].append(p)
                for p in except_by_concept.get(part, []):
                    bucket = except_by_concept.setdefault(name, [])
                    if p not in bucket:
                        bucket.append(p)
                after = (len(words_by_concept[name]), len(prefixes_by_concept[name]),
                         len(phrases_by_concept[name]))
                changed = changed or before != after
    word_map: dict[str, set[str]] = {}
    for name, words in words_by_concept.items():
        for word in words:
            word_map.setdefault(word, set()).add(name)
    prefix_map: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for name, prefixes in prefixes_by_concept.items():
        for prefix in prefixes:
            if len(prefix) < _HEAD:
                raise ValueError(f"safety/{_YAML}: prefix {prefix!r}* in {name} is too short")
            prefix_map.setdefault(prefix[:_HEAD], []).append((prefix, frozenset([name])))
    numbers = {
        str(name): int(spec["min_number"])
        for name, spec in raw_concepts.items()
        if isinstance(spec, dict) and spec.get("min_number") is not None
    }
    macros = {str(k): str(v) for k, v in (data.get("macros") or {}).items()}
    phrase_rules = parse_rules(
        {
            "macros": macros,
            "rules": [
                {"id": name, "level": "none", "role": "marker", "patterns": patterns}
                for name, patterns in sorted(phrases_by_concept.items())
                if patterns
            ],
        },
        f"safety/{_YAML} (phrases)",
    )
    except_rules = parse_rules(
        {
            "macros": macros,
            "rules": [
                {"id": name, "level": "none", "role": "marker", "patterns": patterns}
                for name, patterns in sorted(except_by_concept.items())
            ],
        },
        f"safety/{_YAML} (except)",
    )
    anchor_words: dict[str, set[str]] = {}
    anchor_prefixes: dict[str, list[str]] = {}
    for rule in phrase_rules:
        for pattern in rule.patterns:
            if pattern.anchor is None:
                raise ValueError(f"safety/{_YAML}: phrase {pattern.source!r} has no anchor word")
            anchor_words.setdefault(rule.id, set()).update(pattern.anchor.words)
            anchor_prefixes.setdefault(rule.id, []).extend(pattern.anchor.prefixes)
    return _Concepts(
        words={w: frozenset(c) for w, c in word_map.items()},
        prefixes={h: tuple(v) for h, v in prefix_map.items()},
        phrases=RuleSet(("concepts", r) for r in phrase_rules),
        exceptions=RuleSet(("concepts", r) for r in except_rules),
        phrase_patterns={r.id: r.patterns for r in phrase_rules},
        except_patterns={r.id: r.patterns for r in except_rules},
        phrase_anchor_words={k: frozenset(v) for k, v in anchor_words.items()},
        phrase_anchor_prefixes={k: tuple(v) for k, v in anchor_prefixes.items()},
        concept_words={k: frozenset(v) for k, v in words_by_concept.items()},
        concept_prefixes={k: tuple(v) for k, v in prefixes_by_concept.items()},
        all_words=frozenset(word_map),
        names=names,
        includes=includes,
        numbers=numbers,
        units=frozenset(_fold(u) for u in _str_list(data.get("units"))),
    )


def _parse_groups(raw: Any, names: frozenset[str], rule_id: str) -> tuple[tuple[str, ...], ...]:
    groups: list[tuple[str, ...]] = []
    for item in _str_list(raw):
        group = tuple(part.strip() for part in item.split("|") if part.strip())
        unknown = [c for c in group if c not in names]
        if unknown or not group:
            raise ValueError(f"safety/{_YAML}: rule {rule_id!r} names unknown concepts {unknown}")
        groups.append(group)
    return tuple(groups)


def _load_rules(data: dict[str, Any], names: frozenset[str]) -> tuple[ConceptRule, ...]:
    out: list[ConceptRule] = []
    seen: set[str] = set()
    for raw in data.get("rules") or ():
        rule_id = f"concept.{raw['id']}"
        if rule_id in seen:
            raise ValueError(f"safety/{_YAML}: duplicate rule id {rule_id!r}")
        seen.add(rule_id)
        groups = _parse_groups(raw.get("all"), names, rule_id)
        if not groups:
            raise ValueError(f"safety/{_YAML}: rule {rule_id!r} has no concepts")
        negated = frozenset(_str_list(raw.get("negated")))
        # By default any negated part of a crisis rule lowers it ("no self harm, no
        # suicidal thoughts"); rules that read a negation name it in `negated`, and
        # rules whose phrases carry their own negation set `negatable: false`.
        default_unnegated = (
            [c for g in groups for c in g if c not in negated]
            if raw.get("negatable", True) and not negated
            else []
        )
        unnegated = frozenset([*_str_list(raw.get("unnegated")), *default_unnegated])
        lowered_by = tuple(_str_list(raw.get("lowered_by")))
        blocked_by = tuple(_str_list(raw.get("blocked_by")))
        for concept in [*negated, *unnegated, *lowered_by, *blocked_by]:
            if concept not in names:
                raise ValueError(f"safety/{_YAML}: rule {rule_id!r} names unknown concept {concept!r}")
        persons = frozenset(_str_list(raw.get("persons")) or ["self", "none", "other", "you"])
        if persons - _PERSONS:
            raise ValueError(f"safety/{_YAML}: rule {rule_id!r}: persons must be in {sorted(_PERSONS)}")
        level = Level(raw["level"])
        serious = level.at_least(Level.CRISIS)
        if_recent = raw.get("level_if_recent")
        rule = Rule(
            id=rule_id,
            level=level,
            score=float(raw.get("score", 0.75)),
            role=str(raw.get("role", "ideation")),
            patterns=(),
            negatable=bool(raw.get("negatable", serious and not negated)),
            past_sensitive=bool(raw.get("past_sensitive", serious)),
            level_if_recent=Level(if_recent) if if_recent else None,
            examples=tuple(_str_list(raw.get("examples"))),
            counter_examples=tuple(_str_list(raw.get("counter_examples"))),
        )
        scope = str(raw.get("scope", "sentence"))
        if scope not in ("sentence", "message"):
            raise ValueError(f"safety/{_YAML}: rule {rule_id!r}: scope must be sentence or message")
        out.append(
            ConceptRule(
                rule=rule,
                groups=groups,
                window=int(raw.get("window", 12)),
                ordered=bool(raw.get("ordered", False)),
                clause=bool(raw.get("clause", scope == "sentence")),
                scope=scope,
                negated=negated,
                unnegated=unnegated,
                persons=persons,
                content_persons=frozenset(_str_list(raw.get("content_person")) or _PERSONS),
                lowered_by=lowered_by,
                blocked_by=blocked_by,
                note=str(raw.get("note", "")),
                support_rule=replace(rule, level=Level.SUPPORT) if serious else rule,
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def _tables() -> _Concepts:
    return _load_concepts(_data())


@lru_cache(maxsize=131072)
def _piece_concepts(piece: tuple[str, ...]) -> frozenset[str]:
    """Concepts of one token's fields (cached: long messages repeat their words)."""
    concepts = _tables()
    names: set[str] = set()
    words_map, prefixes = concepts.words, concepts.prefixes
    for f in piece:
        which_words = words_map.get(f)
        if which_words:
            names |= which_words
        heads = prefixes.get(f[:_HEAD])
        if heads:
            for prefix, which in heads:
                if f.startswith(prefix):
                    names |= which
    return frozenset(names)


@lru_cache(maxsize=1)
def _negation() -> _Negation:
    data = load_yaml("decide.yaml")
    own = _data()
    return _Negation(
        negators=frozenset(_fold(str(w)) for w in [*data["negators"], *_str_list(own.get("extra_negators"))]),
        post=frozenset(_fold(w) for w in _str_list(own.get("post_negators"))),
        prepositions=frozenset(_fold(w) for w in _str_list(own.get("extra_negators"))),
        breakers=frozenset(_fold(str(w)) for w in data["negation_breakers"]),
        window=int(data["negation_window"]),
        window_cyrillic=int(data["negation_window_cyrillic"]),
    )


@lru_cache(maxsize=1)
def _persons() -> _Persons:
    spec = _data().get("persons") or {}
    return _Persons(
        self_words=frozenset(_fold(w) for w in _str_list(spec.get("self"))),
        self_object=frozenset(_fold(w) for w in _str_list(spec.get("self_object"))),
        you_words=frozenset(_fold(w) for w in _str_list(spec.get("you"))),
        other_words=frozenset(_fold(w) for w in _str_list(spec.get("other"))),
        determiners=frozenset(_fold(w) for w in _str_list(spec.get("determiners"))),
    )


@lru_cache(maxsize=65536)
def _russian_person(word: str) -> str | None:
    """'self' for a first-person singular verb form ("хочу"), 'you' for the second
    person, 'other' for the third; None otherwise. Asked only near a candidate hit."""
    from safety.lexicon import _morph

    for parse in _morph().parse(word)[:2]:
        tag = parse.tag
        if "VERB" not in tag:
            continue
        if "1per" in tag and "sing" in tag:
            return "self"
        if "2per" in tag:
            return "you"
        if "3per" in tag:
            return "other"
    return None


class ConceptDetector(Detector):
    """Rules over concept classes; see the module docstring and ``concepts.yaml``."""

    name: ClassVar[str] = "concepts"

    @property
    def version(self) -> str:
        return str(_data().get("version", "0"))

    @property
    def concepts(self) -> _Concepts:
        return _tables()

    @cached_property
    def rules(self) -> tuple[ConceptRule, ...]:
        return _load_rules(_data(), self.concepts.names)

    @cached_property
    def _maybe_index(
        self,
    ) -> tuple[dict[str, frozenset[str]], dict[str, tuple[tuple[str, frozenset[str]], ...]], frozenset[str]]:
        """Word -> concepts that may be present (its own words and its phrases' anchor
        words), prefix head -> (prefix, concepts), and the concepts that are numbers."""
        concepts = self.concepts
        words: dict[str, set[str]] = {}
        heads: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for name in concepts.names:
            for word in concepts.concept_words.get(name, frozenset()) | concepts.phrase_anchor_words.get(
                name, frozenset()
            ):
                words.setdefault(word, set()).add(name)
            for prefix in (*concepts.concept_prefixes.get(name, ()), *concepts.phrase_anchor_prefixes.get(name, ())):
                heads.setdefault(prefix[:_HEAD], []).append((prefix, frozenset([name])))
        return (
            {w: frozenset(c) for w, c in words.items()},
            {h: tuple(v) for h, v in heads.items()},
            frozenset(concepts.numbers),
        )

    @cached_property
    def _number_concepts(self) -> frozenset[str]:
        return frozenset(self.concepts.numbers)

    def _phrases_for_words(self, words: frozenset[str]) -> list[tuple[str, CompiledPattern, bool]]:
        return _anchored_phrases(words)

    @cached_property
    def _rules_by_concept(self) -> dict[str, tuple[int, ...]]:
        """Concept -> rules whose first group names it (a rule is tried only then)."""
        out: dict[str, list[int]] = {}
        for index, crule in enumerate(self.rules):
            for concept in crule.groups[0]:
                out.setdefault(concept, []).append(index)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _rule_needs(self) -> tuple[frozenset[str], ...]:
        """The concepts a rule combines (its frames are looked for only when it matches)."""
        return tuple(frozenset(c for g in crule.groups for c in g) for crule in self.rules)

    @cached_property
    def _message_rules(self) -> tuple[int, ...]:
        return tuple(i for i, crule in enumerate(self.rules) if crule.scope == "message")

    @cached_property
    def _message_first_concepts(self) -> frozenset[str]:
        """Concepts that can start a message rule."""
        return frozenset(c for crule in self.rules if crule.scope == "message" for c in crule.groups[0])

    @cached_property
    def _framing_concepts(self) -> frozenset[str]:
        """Every concept any rule uses as a frame or a blocker, and the writer."""
        return frozenset(
            [c for crule in self.rules for c in (*crule.lowered_by, *crule.blocked_by)] + ["SELF"]
        )

    @cached_property
    def _group_sets(self) -> tuple[tuple[frozenset[str], ...], ...]:
        return tuple(tuple(frozenset(g) for g in crule.groups) for crule in self.rules)

    def _possible(self, words: frozenset[str]) -> frozenset[str]:
        """Concepts that may occur in a sentence with these words (a cheap superset)."""
        return _possible_concepts(self, words)

    def compile_all(self) -> None:
        """Load the tables and compile every phrase regex now (servers call warm_up())."""
        for rule_set in (self.concepts.phrases, self.concepts.exceptions):
            for _, rule in rule_set.entries:
                for pattern in rule.patterns:
                    pattern.regex  # noqa: B018 - compile now rather than on first use
        self._maybe_index  # noqa: B018
        self._rules_by_concept  # noqa: B018

    def _candidate_rules(self, possible: frozenset[str], scope: str) -> list[int]:
        return list(_candidate_rules(self, possible, scope))

    def _candidate_rules_uncached(self, possible: frozenset[str], scope: str) -> list[int]:
        rules = self.rules
        groups = self._group_sets
        seen: set[int] = set()
        out: list[int] = []
        by_concept = self._rules_by_concept
        for concept in possible:
            for index in by_concept.get(concept, ()):
                if index in seen:
                    continue
                seen.add(index)
                if rules[index].scope == scope and all(not g.isdisjoint(possible) for g in groups[index]):
                    out.append(index)
        out.sort()
        return out

    def detect(self, doc: Document, at_least: Level | None = None) -> list[Hit]:
        """Hits in ``doc``; with ``at_least``, only from rules of that level or above."""
        if not doc.sentences:
            return []
        rules = self.rules
        count = len(doc.sentences)
        # A very long message (a pasted document: Telegram itself stops at 4 096
        # characters) is read at its start and end; the phrase rules read all of it.
        kept = (
            range(count) if count <= _HEAD_SENTENCES + _TAIL_SENTENCES
            else [*range(_HEAD_SENTENCES), *range(count - _TAIL_SENTENCES, count)]
        )
        empty: frozenset[str] = frozenset()
        possibles = [empty] * count
        for number in kept:
            possibles[number] = self._possible(doc.sentences[number].words)
        # Sentence rules read one sentence; message rules read a few neighbouring ones
        # (their windows are a few dozen words), so a long message costs in proportion.
        candidates: dict[int, list[int]] = {}
        message_candidates: dict[int, list[int]] = {}
        message_firsts = self._message_first_concepts
        groups = self._group_sets
        message_rules = [
            i for i in self._message_rules if at_least is None or rules[i].rule.level.at_least(at_least)
        ]
        for number, possible in enumerate(possibles):
            if not possible:
                continue
            found = self._candidate_rules(possible, "sentence")
            if at_least is not None:
                found = [i for i in found if rules[i].rule.level.at_least(at_least)]
            if found:
                candidates[number] = found
            if message_firsts.isdisjoint(possible):
                continue
            lo, hi = max(0, number - _NEIGHBOURS), min(count, number + _NEIGHBOURS + 1)
            around = possible if count == 1 else frozenset().union(*possibles[lo:hi])
            starting = [
                i for i in message_rules
                if not groups[i][0].isdisjoint(possible)
                and all(not g.isdisjoint(around) for g in groups[i][1:])
            ]
            if starting:
                message_candidates[number] = starting
        needs = self._rule_needs
        wanted: dict[int, frozenset[str]] = {
            n: frozenset().union(*(needs[i] for i in found)) for n, found in candidates.items()
        }
        for n, found in message_candidates.items():
            extra = frozenset().union(*(needs[i] for i in found))
            for m in range(max(0, n - _NEIGHBOURS), min(count, n + _NEIGHBOURS + 1)):
                if not extra.isdisjoint(possibles[m]):
                    wanted[m] = wanted.get(m, frozenset()) | extra
        # Occurrences are found sentence by sentence, when a rule that is still short of
        # its hit limit needs them (a huge message stops costing once every rule is full).
        cache: dict[int, dict[str, list[Occurrence]]] = {}

        def occurrences_of(m: int) -> dict[str, list[Occurrence]]:
            found_here = cache.get(m)
            if found_here is None:
                found_here = {}
                if m in wanted:
                    for occ in concept_occurrences(doc, self.concepts, (m,), {m: wanted[m]}):
                        found_here.setdefault(occ.concept, []).append(occ)
                cache[m] = found_here
            return found_here

        hits: list[Hit] = []
        frames: dict[int, tuple[tuple[str, int, int], ...]] = {}
        made: dict[int, int] = {}  # rule -> hits so far (bounded, like the pattern detectors)
        seen: set[tuple[int, int, int]] = set()
        full: set[int] = set()  # rules that reached their hit limit
        for number in sorted(set(candidates) | set(message_candidates)):
            if len(full) == len(rules):
                break
            sentence_rules = [i for i in candidates.get(number, ()) if i not in full]
            message_rules = [i for i in message_candidates.get(number, ()) if i not in full]
            if not sentence_rules and not message_rules:
                continue
            present = occurrences_of(number)
            if not present:
                continue
            for index in sentence_rules:
                hit = self._apply(doc, rules[index], present, (number, number), frames)
                if hit is not None:
                    hits.append(hit)
                    made[index] = made.get(index, 0) + 1
                    if made[index] >= _HITS_PER_RULE:
                        full.add(index)
            if not message_rules:
                continue
            around_present: dict[str, list[Occurrence]] = {}
            for m in range(max(0, number - _NEIGHBOURS), min(count, number + _NEIGHBOURS + 1)):
                for concept, items in occurrences_of(m).items():
                    around_present.setdefault(concept, []).extend(items)
            for index in message_rules:
                hit = self._apply(doc, rules[index], around_present, None, frames, anchor=number)
                if hit is not None and (index, hit.first, hit.last) not in seen:
                    seen.add((index, hit.first, hit.last))
                    hits.append(hit)
                    made[index] = made.get(index, 0) + 1
                    if made[index] >= _HITS_PER_RULE:
                        full.add(index)
        return hits

    def _apply(
        self,
        doc: Document,
        crule: ConceptRule,
        present: dict[str, list[Occurrence]],
        sentences: tuple[int, int] | None,
        frames: dict[int, tuple[tuple[str, int, int], ...]],
        anchor: int | None = None,
    ) -> Hit | None:
        for group in crule.groups:
            if not any(c in present for c in group):
                return None
        lists: list[list[Occurrence]] = []
        for position, group in enumerate(crule.groups):
            found = [o for c in group for o in present.get(c, ())]
            if crule.negated & set(group):
                found = [o for o in found if o.negated]
            if position == 0 and anchor is not None:
                found = [o for o in found if o.sentence == anchor]  # each message hit once
            if not found:
                return None
            lists.append(found[:_MAX_CANDIDATES])
        best: tuple[int, int, tuple[Occurrence, ...]] | None = None
        for combo in product(*lists):
            if _overlapping(combo):
                continue  # one word cannot be two parts of a rule
            first = min(o.first for o in combo)
            last = max(o.last for o in combo)
            if last - first > crule.window:
                continue
            if crule.ordered and any(a.first > b.first for a, b in zip(combo, combo[1:], strict=False)):
                continue
            # Across a comma or dash only in the rule's own order: "сколько нужно,
            # чтобы не проснуться" yes; "не хочу умирать, хочу поправиться" no.
            if (
                crule.clause
                and len(combo) > 1
                and any(a.first > b.first for a, b in zip(combo, combo[1:], strict=False))
                and _crosses_clause(doc, first, last)
            ):
                continue
            # A negator that belongs to another part ("NOT interested in LIVING") is
            # that part's own wording, not a negation of this one.
            violations = sum(
                1 for o in combo
                if o.concept in crule.unnegated and o.negated
                and not any(p is not o and p.first <= o.negator <= p.last for p in combo)
            )
            key = (violations, last - first)
            if best is None or key < best[:2]:
                best = (violations, last - first, combo)
        if best is None:
            return None
        combo = best[2]
        first = min(o.first for o in combo)
        last = max(o.last for o in combo)
        first_sentence = min(o.sentence for o in combo)
        # a phrase may run over a named boundary ("...to open the envelope. I won't"): its
        # last word's sentence, so a blocker there counts
        last_sentence = max(doc.sentence_index(last), *(o.sentence for o in combo))
        # Frames and blockers are looked for only once a rule has matched, once per
        # sentence of the message.
        scope_concepts: set[str] = set()
        frame_concepts: set[str] = set()  # the frames outside the hit's own words
        for number in range(first_sentence, last_sentence + 1):
            framed = frames.get(number)
            if framed is None:
                framed = tuple(
                    (o.concept, o.first, o.last)
                    for o in concept_occurrences(
                        doc, self.concepts, (number,), {number: self._framing_concepts}
                    )
                )
                frames[number] = framed
            for concept, start, end in framed:
                scope_concepts.add(concept)
                # "раздала книги" (gave away my books): books inside the hit are what is
                # given away, not a story framing the sentence. Only fiction words: "how
                # many people die" is general because of the "people" inside it.
                if concept != "FICTION" or not (first <= start and end <= last):
                    frame_concepts.add(concept)
        if any(c in scope_concepts for c in crule.blocked_by):
            return None
        notes: list[str] = ["+".join(o.concept for o in combo)]
        if crule.note:
            notes.append(crule.note)
        lowered = False
        if best[0]:
            notes.append("negated")
            lowered = True
        person = self._combo_person(doc, first, last, combo)
        if person not in crule.persons:
            notes.append(f"about {person}" if person != "you" else "second person")
            lowered = True
        elif len(combo) > 1 and crule.content_persons != _PERSONS:
            # "my grandma is dying and I think about it": the death is not the writer's.
            content = combo[-1]
            about = self._person(doc, content.first, content.last, (content,))
            if about not in crule.content_persons:
                notes.append(f"about {about}")
                lowered = True
        if crule.lowered_by and person != "self":
            # Stories, quizzes and reported questions frame a sentence even when the
            # writer is in it ("I'm reading a novel where..."); general wording only
            # when the writer is not.
            framing = [
                c for c in crule.lowered_by
                if c in frame_concepts and (c in _STRONG_FRAMES or "SELF" not in scope_concepts)
            ]
            if framing:
                notes.append(framing[0].lower())
                lowered = True
        if lowered and not crule.rule.level.at_least(Level.CRISIS):
            return None  # a weak cue that does not apply is no cue at all
        rule = crule.support_rule if lowered else crule.rule
        span = doc.original_span(first, last)
        return Hit(
            detector=self.name,
            rule=rule,
            first=first,
            last=last,
            span=span,
            matched=doc.matched_text(span),
            sentence=first_sentence,
            notes=tuple(notes),
        )

    def _combo_person(
        self, doc: Document, first: int, last: int, combo: Sequence[Occurrence]
    ) -> str:
        """The writer if any part of the hit is about the writer ("my girlfriend found the
        cuts ... I want to do it more"), else whom the whole hit is about."""
        if len(combo) > 1 and any(
            self._person(doc, o.first, o.last, (o,)) == "self" for o in combo
        ):
            return "self"
        return self._person(doc, first, last, combo)

    def _person(self, doc: Document, first: int, last: int, combo: Sequence[Occurrence]) -> str:
        """Who the hit is about: 'self', 'you', 'other' or 'none' (no one named).

        The writer as an object inside the hit ("kill myself", "better off without me")
        wins; otherwise the nearest person word before the hit in its clause ("my
        brother wants to die"; "my cat died": an owner word with a noun after it is
        about the noun); otherwise a person word inside the hit or just after it
        ("умер мой кот"); Russian verb forms count ("хочу" is the writer).
        """
        persons = _persons()
        pieces = doc.pieces
        for index in range(first, last + 1):
            if not persons.self_object.isdisjoint(pieces[index]):
                return "self"
            surface = pieces[index][0]
            if _CYRILLIC.match(surface) and len(surface) > 2 and _russian_person(surface) == "self":
                return "self"  # "простите, что существую": the writer's own verb
        text = doc.normalised.text
        stop = max(0, first - 8)
        for index in range(first - 1, stop - 1, -1):
            piece = pieces[index]
            if piece[0] == BOUNDARY:
                break
            if _CLAUSE_BREAK.search(text[doc.spans[index][1] : doc.spans[index + 1][0]]):
                break
            if piece[0] in persons.determiners and index < first - 1:
                following = pieces[index + 1]
                if (
                    following[0] not in persons.self_words
                    and following[0] not in ("own", "собственный")
                    and _MIND_CONCEPTS.isdisjoint(_piece_concepts(following))
                ):
                    return "other"  # "my cat died": a noun between the owner and the hit
            found = self._person_of(piece, persons)
            if found is not None:
                return found
        for index in range(first, last + 1):
            found = self._person_of(pieces[index], persons)
            if found is not None:
                return found
        end = min(len(pieces), last + 4)
        for index in range(last + 1, end):
            piece = pieces[index]
            if piece[0] == BOUNDARY or _CLAUSE_BREAK.search(
                text[doc.spans[index - 1][1] : doc.spans[index][0]]
            ):
                break
            if piece[0] in persons.determiners and index + 1 < end and _CYRILLIC.match(piece[0]):
                return "other"  # "умер мой кот" (Russian puts the subject after the verb)
            if piece[0] in persons.other_words:
                return "other"
        return "none"

    @staticmethod
    def _person_of(piece: Sequence[str], persons: _Persons) -> str | None:
        surface = piece[0]
        if surface in persons.self_words:
            return "self"
        if surface in persons.you_words:
            return "you"
        if surface in persons.other_words:
            return "other"
        if _CYRILLIC.match(surface) and len(surface) > 2:
            return _russian_person(surface)
        return None


@lru_cache(maxsize=4096)
def _possible_concepts(detector: ConceptDetector, words: frozenset[str]) -> frozenset[str]:
    """Concepts that may occur in a sentence with these words: single words found, and
    phrase concepts with one phrase whose required words are all there."""
    found: set[str] = set()
    for word in words:
        names = _piece_concepts((word,))
        if names:
            found |= names
        if word[:1].isdigit():
            found |= detector._number_concepts
    for name, _, is_exception in _anchored_phrases(words):
        if not is_exception:
            found.add(name)
    return frozenset(found)


@lru_cache(maxsize=1)
def _phrase_index() -> tuple[
    dict[str, tuple[tuple[str, CompiledPattern, bool], ...]], tuple[tuple[str, CompiledPattern, bool], ...]
]:
    """Anchor word (or "*" + prefix head) -> (concept, phrase, is an exception); phrases
    with no anchor word are tried everywhere."""
    concepts = _tables()
    by_word: dict[str, list[tuple[str, CompiledPattern, bool]]] = {}
    always: list[tuple[str, CompiledPattern, bool]] = []
    for table, is_exception in ((concepts.phrase_patterns, False), (concepts.except_patterns, True)):
        for name, patterns in table.items():
            for pattern in patterns:
                anchor = pattern.anchor
                if anchor is None:
                    always.append((name, pattern, is_exception))
                    continue
                for word in anchor.words:
                    by_word.setdefault(word, []).append((name, pattern, is_exception))
                for prefix in anchor.prefixes:
                    by_word.setdefault("*" + prefix[:_HEAD], []).append((name, pattern, is_exception))
    return {k: tuple(v) for k, v in by_word.items()}, tuple(always)


@lru_cache(maxsize=4096)
def _anchored_phrases(words: frozenset[str]) -> list[tuple[str, CompiledPattern, bool]]:
    """The phrases (and exception phrases) that can match in a sentence with these words."""
    index, always = _phrase_index()
    out = [entry for entry in always if _could_match(entry[1], words)]
    seen: set[int] = set()
    for word in words:
        for key in (word, "*" + word[:_HEAD]):
            for entry in index.get(key, ()):
                if id(entry[1]) not in seen:
                    seen.add(id(entry[1]))
                    if _could_match(entry[1], words):
                        out.append(entry)
    return out


def _could_match(pattern: CompiledPattern, words: frozenset[str]) -> bool:
    for requirement in pattern.requires:
        if requirement.isdisjoint(words):
            return False
    anchor = pattern.anchor
    if anchor is None or not anchor.words.isdisjoint(words):
        return True
    return bool(anchor.prefixes) and any(w.startswith(p) for w in words for p in anchor.prefixes)


@lru_cache(maxsize=4096)
def _candidate_rules(detector: ConceptDetector, possible: frozenset[str], scope: str) -> tuple[int, ...]:
    return tuple(detector._candidate_rules_uncached(possible, scope))


def _overlapping(combo: Sequence[Occurrence]) -> bool:
    """Two parts on the same words: the same span, or one concept twice over one phrase."""
    for i, a in enumerate(combo):
        for b in combo[i + 1 :]:
            if (a.first, a.last) == (b.first, b.last):
                return True
            if a.concept == b.concept and a.first <= b.last and b.first <= a.last:
                return True
    return False


def _crosses_clause(doc: Document, first: int, last: int) -> bool:
    spans = doc.spans
    return bool(_CLAUSE_BREAK.search(doc.normalised.text[spans[first][1] : spans[last][0]]))


_RU_POST_DENIALS = frozenset({"хотеть", "хочу", "хочется", "собираться", "собираюсь", "буду", "планирую", "стану"})


def _post_negated(doc: Document, last: int, negation: _Negation) -> int:
    """"суицидальных мыслей нет." / "self-harm: none": a negator right after, then a
    pause; and the Russian inverted denial "умирать не хочу"."""
    pieces = doc.pieces
    index = last + 1
    if (
        index + 1 < len(pieces)
        and pieces[index][0] == "не"
        and not _RU_POST_DENIALS.isdisjoint(pieces[index + 1])
    ):
        return index
    if index + 1 >= len(pieces) or pieces[index][0] not in negation.post:
        return -1
    after = pieces[index + 1]
    if after[0] == BOUNDARY:
        return index
    gap = doc.normalised.text[doc.spans[index][1] : doc.spans[index + 1][0]]
    return index if _CLAUSE_BREAK.search(gap) else -1


def _negated(doc: Document, first: int, negation: _Negation) -> int:
    """Token index of the negator governing a word at ``first``, or -1."""
    pieces = doc.pieces
    text = doc.normalised.text
    stop = max(0, first - negation.window)
    for index in range(first - 1, stop - 1, -1):
        piece = pieces[index]
        if piece[0] == BOUNDARY:
            break
        if _CLAUSE_BREAK.search(text[doc.spans[index][1] : doc.spans[index + 1][0]]):
            break
        if any(f in negation.negators for f in piece):
            if (
                _CYRILLIC.match(piece[0])
                and first - index > negation.window_cyrillic
                and piece[0] not in negation.prepositions
            ):
                continue
            following = pieces[index + 1] if index + 1 < len(pieces) else ()
            return -1 if any(f in negation.breakers for f in following) else index
    return -1


def concept_occurrences(
    doc: Document,
    concepts: _Concepts,
    sentences: Iterable[int],
    wanted: dict[int, frozenset[str]] | None = None,
) -> list[Occurrence]:
    """Every concept occurrence in the given sentences of ``doc`` (only the ``wanted``
    concepts of each sentence, when given)."""
    chosen = sorted(frozenset(sentences))
    negation = _negation()
    found: list[tuple[str, int, int, int]] = []
    numbers = concepts.numbers
    pieces = doc.pieces
    excepted: dict[str, list[tuple[int, int]]] = {}
    for number in chosen:
        sentence = doc.sentences[number]
        keep = wanted.get(number) if wanted is not None else None
        for index in range(sentence.first, sentence.last):
            piece = pieces[index]
            names = _piece_concepts(piece)
            surface = piece[0]
            if numbers and surface.isdigit() and len(surface) < 7:
                following = pieces[index + 1][0] if index + 1 < len(pieces) else ""
                if following not in concepts.units:
                    names = names | {n for n, smallest in numbers.items() if int(surface) >= smallest}
            if not names:
                continue
            if keep is not None:
                names = names & keep
            for name in names:
                found.append((name, index, index, number))
        window_end = (
            doc.sentences[number + 1].stream_end if number + 1 < len(doc.sentences) else sentence.stream_end
        )
        for name, pattern, is_exception in _anchored_phrases(sentence.words):
            if keep is not None and name not in keep:
                continue
            for match in _matches(doc, sentence, pattern, window_end):
                span = doc.tokens_for(match.start(), match.end() - 1)
                if is_exception:
                    excepted.setdefault(name, []).append(span)
                else:
                    found.append((name, span[0], span[1], number))
    if not found:
        return []
    out: list[Occurrence] = []
    seen: set[tuple[str, int, int]] = set()
    for name, first, last, number in found:
        spans = excepted.get(name)
        if spans and any(a <= first and last <= b for a, b in spans):
            continue
        key = (name, first, last)
        if key in seen:
            continue
        seen.add(key)
        negator = _negated(doc, first, negation)
        if negator < 0:
            negator = _post_negated(doc, last, negation)
        out.append(Occurrence(name, first, last, number, negator >= 0, negator))
    out.sort(key=lambda o: (o.first, o.last))
    return out
