"""A tiny pattern language for the detectors' YAML, compiled to regular expressions.

Patterns are written over words, not characters, and match the token stream built by
:mod:`safety.analysis` (each token = surface form and lemmas, "/"-separated)::

    kill|end|take <self>            a word from a list, then the macro <self>
    want to? die                    "to" is optional
    (take my own? life, end it all) a group: comma-separated alternatives
    no reason ~2 live               ~N: up to N words of anything (never across a sentence)
    suicid*                         a word starting with "suicid"
    #year                           a year, 1900-2099 ("in 2019")
    #pastyear                       a year from 1900 to this year ("в 2027-м" is not past)
    =killed                         only the surface form "killed" (not a lemma of another word)
    #num pill|tablet                #num: a number; #any: any one word

A word matches a token if it equals the token's surface form or any of its lemmas: so
"take" matches "took"/"taking" (lemma take), while "took" matches only "took". Words in
patterns are written in lower case, without accents.

Each compiled pattern also knows an *anchor*: a set of words of which at least one must
appear in a sentence for the pattern to be tried there. That keeps a long message fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from safety.normalise import fold_text
from safety.regex_cache import compile_rule

__all__ = ["PatternError", "CompiledPattern", "compile_pattern", "expand_macros"]

_TOKENS = re.compile(r"\(|\)|,|\?|<[\w-]+>|~\d+|#\w+|[^\s(),?<>~#]+(?:\|[^\s(),?<>~#]+)*")
_MACRO = re.compile(r"<([\w-]+)>")
_BOUNDARY = "§"
_ANY_TOKEN = r"(?!§ )[^ ]+ "
_FIELD_PREFIX = r"(?:[^ ]*/)?"
_FIELD_SUFFIX = r"(?:/[^ ]*)? "


class PatternError(ValueError):
    pass


@dataclass(frozen=True)
class Anchor:
    words: frozenset[str]
    prefixes: tuple[str, ...]

    @property
    def weight(self) -> int:
        """Longer shortest word = rarer = a better anchor."""
        lengths = [len(w) for w in self.words] + [len(p) for p in self.prefixes]
        return min(lengths) if lengths else 0


def _past_year_regex() -> str:
    """1900 up to the current year: a past marker must not read a future year as past
    ("меня в 2027-м уже не будет" is a plan, not history)."""
    import datetime

    this_year = datetime.date.today().year
    recent = "|".join(str(year) for year in range(2000, this_year + 1))
    return rf"(?:19\d\d|{recent})"


@dataclass(frozen=True)
class CompiledPattern:
    source: str
    regex_text: str  # compiled on first use: ~700 patterns take about a second to compile
    anchor: Anchor | None  # None: try on every sentence
    # Every required part that is a plain word list: a sentence lacking any one of them
    # cannot match, so the regex is not even tried there (a cheap set test).
    requires: tuple[frozenset[str], ...] = ()
    # The words a match must start with (when the first part is a required word list):
    # the regex is then tried only at those tokens instead of scanned along the text.
    first: Anchor | None = None

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return compile_rule(self.regex_text)


@dataclass
class _Node:
    regex: str
    anchor: Anchor | None
    optional: bool = False
    requires: tuple[frozenset[str], ...] = ()
    first: Anchor | None = None


def expand_macros(text: str, macros: Mapping[str, str], depth: int = 0) -> str:
    if depth > 8:
        raise PatternError(f"macro expansion too deep in {text!r}")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in macros:
            raise PatternError(f"unknown macro <{name}>")
        return "(" + expand_macros(macros[name], macros, depth + 1) + ")"

    return _MACRO.sub(replace, text)


def _word_regex(word: str) -> tuple[str, Anchor]:
    if word.startswith("="):
        # Surface form only: the token's first field, whatever its lemmas are.
        surface = word[1:]
        if not surface or surface.endswith("*"):
            raise PatternError(f"bad surface-only word {word!r}")
        return re.escape(surface) + _FIELD_SUFFIX, Anchor(frozenset([surface]), ())
    if word.endswith("*"):
        stem = word[:-1]
        if not stem:
            raise PatternError("a lone * is not a word")
        return (
            _FIELD_PREFIX + re.escape(stem) + r"[^ /]*" + _FIELD_SUFFIX,
            Anchor(frozenset(), (stem,)),
        )
    return _FIELD_PREFIX + re.escape(word) + _FIELD_SUFFIX, Anchor(frozenset([word]), ())


def _alternatives(words: list[str]) -> _Node:
    # Pattern words are folded like message text ("её" -> "ее", "wären" -> "waren").
    words = [fold_text(w) if not w.isascii() else w for w in words]
    for word in words:
        if "-" in word:
            raise PatternError(f"{word!r}: write hyphenated words as separate words")
    exact: set[str] = set()
    prefixes: list[str] = []
    shared: list[str] = []  # words matched against any field: one alternation, one prefix
    branches: list[str] = []  # surface-only words: a branch each
    for word in words:
        regex, anchor = _word_regex(word)
        exact |= anchor.words
        prefixes.extend(anchor.prefixes)
        if word.startswith("="):
            branches.append(regex)
        elif word.endswith("*"):
            shared.append(re.escape(word[:-1]) + r"[^ /]*")
        else:
            shared.append(re.escape(word))
    if shared:
        # Longest first, so "killing" is tried before "kill" (both are still correct:
        # the field must end at "/" or " ").
        shared.sort(key=len, reverse=True)
        body = shared[0] if len(shared) == 1 else "(?:" + "|".join(shared) + ")"
        branches.insert(0, _FIELD_PREFIX + body + _FIELD_SUFFIX)
    regex = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return _Node(regex, Anchor(frozenset(exact), tuple(prefixes)))


def _merge_anchors(anchors: list[Anchor | None]) -> Anchor | None:
    if not anchors or any(a is None for a in anchors):
        return None
    words: set[str] = set()
    prefixes: list[str] = []
    for anchor in anchors:
        assert anchor is not None
        words |= anchor.words
        prefixes.extend(anchor.prefixes)
    return Anchor(frozenset(words), tuple(prefixes))


def _best_anchor(nodes: list[_Node]) -> Anchor | None:
    required = [n.anchor for n in nodes if not n.optional and n.anchor is not None]
    if not required:
        return None
    return max(required, key=lambda a: a.weight)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _TOKENS.findall(source)
        self.pos = 0

    def error(self, message: str) -> PatternError:
        return PatternError(f"{message} in pattern {self.source!r}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end")
        self.pos += 1
        return token

    def sequence(self, closing: tuple[str, ...]) -> _Node:
        nodes: list[_Node] = []
        while self.peek() is not None and self.peek() not in closing:
            nodes.append(self.item())
        if not nodes:
            raise self.error("empty sequence")
        regex = "".join(n.regex if not n.optional else f"(?:{n.regex})?" for n in nodes)
        # Requirements are checked against one sentence's words, so only parts before a
        # named boundary ("suicidal § again") count.
        before_boundary: list[_Node] = []
        for n in nodes:
            if n.anchor is not None and _BOUNDARY in n.anchor.words:
                break
            before_boundary.append(n)
        requires = tuple(
            n.anchor.words
            for n in before_boundary
            if not n.optional
            and n.anchor is not None
            and not n.anchor.prefixes
            and n.anchor.words
            and _BOUNDARY not in n.anchor.words  # boundaries are not in a sentence's words
        )
        head = nodes[0]
        first = None if head.optional else (head.first or head.anchor)
        return _Node(regex, _best_anchor(before_boundary), requires=requires, first=first)

    def item(self) -> _Node:
        token = self.take()
        if token == "(":
            alternatives = [self.sequence((",", ")"))]
            while self.peek() == ",":
                self.take()
                alternatives.append(self.sequence((",", ")")))
            if self.take() != ")":
                raise self.error("missing )")
            regex = "(?:" + "|".join(a.regex for a in alternatives) + ")"
            node = _Node(regex, _merge_anchors([a.anchor for a in alternatives]),
                         first=_merge_anchors([a.first for a in alternatives]))
        elif token.startswith("~"):
            node = _Node(f"(?:{_ANY_TOKEN}){{0,{int(token[1:])}}}", None, optional=True)
        elif token == "#num":
            node = _Node(r"\d[^ ]* ", None)
        elif token == "#year":
            node = _Node(r"(?:19|20)\d\d[^ ]* ", None)
        elif token == "#pastyear":
            node = _Node(_past_year_regex() + r"[^ ]* ", None)
        elif token == "#any":
            node = _Node(_ANY_TOKEN, None)
        elif token in (")", ",", "?") or token.startswith("#") or token.startswith("<"):
            raise self.error(f"unexpected {token!r}")
        else:
            node = _alternatives(token.lower().split("|"))
        if self.peek() == "?":
            self.take()
            node.optional = True
        return node


def compile_pattern(source: str, macros: Mapping[str, str] | None = None) -> CompiledPattern:
    expanded = expand_macros(source, macros or {})
    parser = _Parser(expanded)
    node = parser.sequence(())
    if parser.peek() is not None:
        raise parser.error(f"unexpected {parser.peek()!r}")
    return CompiledPattern(
        source=source,
        regex_text="(?<= )" + node.regex,
        anchor=node.anchor,
        requires=node.requires,
        first=node.first,
    )
