"""Compose the reply: snippet sentences (verbatim) followed by one citation line.

Snippets are shown word for word so that what a clinician reviewed is exactly what a
patient reads; this module only chooses how many fit and adds the citation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .loading import FALLBACK_LANG, Snippet, Source

__all__ = ["Answer", "MAX_SENTENCES", "citation_line", "compose", "split_sentences"]

_HERE = Path(__file__).resolve().parent
MAX_SENTENCES = 4
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before a
# space and a capital letter; decimals ("52.54") and "US$800." stay intact.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"»”)]?\s+(?=[\"«“(]?[A-ZА-ЯЁ])")


@dataclass(frozen=True)
class Answer:
    text: str  # sentences, then a newline and the citation line
    snippet_ids: tuple[str, ...]  # best first
    sources: tuple[str, ...]
    score: float  # retrieval confidence (share of the question explained, 0..1)
    lang: str


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    data = yaml.safe_load((_HERE / "composing.yml").read_text(encoding="utf-8"))
    labels: dict[str, dict[str, str]] = data["citation_labels"]
    return labels


def citation_line(sources: Sequence[Source], lang: str) -> str:
    """One line: the source's own citation, or all of them after a plural label."""
    if len(sources) == 1:
        return sources[0].citation(lang)
    labels = _labels().get(lang) or _labels()[FALLBACK_LANG]
    bodies = []
    for source in sources:
        line = source.citation(lang)
        for prefix in (labels["one"], _labels()[FALLBACK_LANG]["one"]):
            if line.startswith(prefix):
                line = line[len(prefix) :].strip()
                break
        bodies.append(line)
    return f"{labels['many']} " + "; ".join(bodies)


def compose(
    snippets: Sequence[Snippet], sources: Sequence[Source], lang: str, score: float
) -> Answer:
    body = " ".join(s.text_in(lang) for s in snippets)
    return Answer(
        text=f"{body}\n{citation_line(sources, lang)}",
        snippet_ids=tuple(s.id for s in snippets),
        sources=tuple(src.id for src in sources),
        score=score,
        lang=lang,
    )
