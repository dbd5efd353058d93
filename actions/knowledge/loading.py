"""Read the curated knowledge (``data/knowledge/*.yml``) into typed, validated objects.

One job: turn YAML into :class:`Source` and :class:`Snippet` values, failing loudly and
clearly on a malformed file, so a content mistake is caught at start-up, not mid-chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_KNOWLEDGE_DIR",
    "KnowledgeError",
    "LANGUAGES",
    "Snippet",
    "Source",
    "load_snippets",
    "load_sources",
]

# actions/knowledge/loading.py -> repository root is two levels above the package.
DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "data" / "knowledge"
LANGUAGES = ("en", "ru")
FALLBACK_LANG = "en"
SOURCES_FILE = "sources.yml"


class KnowledgeError(ValueError):
    """A knowledge file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Source:
    id: str
    file: str
    title: str
    authors: str
    venue: str
    year: int | None
    doi: str | None
    url: str | None
    cite: Mapping[str, str]

    def citation(self, lang: str) -> str:
        """The citation line in ``lang``, or in English when that language is missing."""
        return self.cite.get(lang) or self.cite[FALLBACK_LANG]

    def reference(self) -> str:
        """A full reference for the list of sources: authors (year). Title. Venue. DOI."""
        year = f" ({self.year})" if self.year else ""
        parts = [f"{self.authors}{year}", self.title, self.venue]
        if self.doi:
            parts.append(f"doi:{self.doi}")
        return ". ".join(p.rstrip(".") for p in parts) + "."


@dataclass(frozen=True)
class Snippet:
    id: str
    topics: tuple[str, ...]
    source: str
    text: Mapping[str, str]
    hints: Mapping[str, tuple[str, ...]]

    def text_in(self, lang: str) -> str:
        """The snippet in ``lang``, or in English when that language is missing."""
        return self.text.get(lang) or self.text[FALLBACK_LANG]

    def hints_in(self, lang: str) -> tuple[str, ...]:
        return self.hints.get(lang, ())


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path.name}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or data.get("version") != 1:
        raise KnowledgeError(f"{path.name}: expected a mapping with 'version: 1'")
    return data


def _lang_map(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise KnowledgeError(f"{where}: expected a mapping of language to non-empty text")
    if FALLBACK_LANG not in raw:
        raise KnowledgeError(f"{where}: English ('{FALLBACK_LANG}') is required as the fallback")
    return {str(k): v.strip() for k, v in raw.items()}


def load_sources(knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR) -> dict[str, Source]:
    data = _read_yaml(knowledge_dir / SOURCES_FILE)
    sources: dict[str, Source] = {}
    for raw in data.get("sources") or []:
        sid = raw.get("id")
        if not sid or sid in sources:
            raise KnowledgeError(f"{SOURCES_FILE}: missing or duplicate source id {sid!r}")
        sources[sid] = Source(
            id=sid,
            file=raw["file"],
            title=raw["title"],
            authors=raw["authors"],
            venue=raw["venue"],
            year=raw.get("year"),
            doi=raw.get("doi"),
            url=raw.get("url"),
            cite=_lang_map(raw.get("cite"), f"{SOURCES_FILE}:{sid}.cite"),
        )
    if not sources:
        raise KnowledgeError(f"{SOURCES_FILE}: no sources")
    return sources


def _snippet(raw: dict[str, Any], where: str) -> Snippet:
    sid = raw.get("id")
    topics = raw.get("topics")
    if not isinstance(sid, str) or not sid:
        raise KnowledgeError(f"{where}: snippet without an id")
    if not isinstance(topics, list) or not topics:
        raise KnowledgeError(f"{where}:{sid}: 'topics' must be a non-empty list")
    hints_raw = raw.get("hints") or {}
    hints = {str(lang): tuple(str(h) for h in items or ()) for lang, items in hints_raw.items()}
    return Snippet(
        id=sid,
        topics=tuple(str(t) for t in topics),
        source=str(raw.get("source") or ""),
        text=_lang_map(raw.get("text"), f"{where}:{sid}.text"),
        hints=hints,
    )


def load_snippets(
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR, sources: Mapping[str, Source] | None = None
) -> dict[str, Snippet]:
    """All snippets of every topic file, by id, in file order. Checks ids and sources."""
    snippets: dict[str, Snippet] = {}
    for path in sorted(knowledge_dir.glob("*.yml")):
        if path.name == SOURCES_FILE:
            continue
        for raw in _read_yaml(path).get("snippets") or []:
            snippet = _snippet(raw, path.name)
            if snippet.id in snippets:
                raise KnowledgeError(f"{path.name}: duplicate snippet id {snippet.id!r}")
            if sources is not None and snippet.source not in sources:
                raise KnowledgeError(f"{path.name}:{snippet.id}: unknown source {snippet.source!r}")
            snippets[snippet.id] = snippet
    if not snippets:
        raise KnowledgeError(f"{knowledge_dir}: no snippets found")
    return snippets
