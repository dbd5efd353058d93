"""The knowledge files: schema, ids, sources, both languages, snippet length."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.knowledge import KnowledgeError, split_sentences
from actions.knowledge.loading import DEFAULT_KNOWLEDGE_DIR, load_snippets, load_sources

MAIN_TOPICS = {"ptsd", "psychotherapy", "medication", "ketamine", "mdma", "treatment_choice"}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def _raw_snippets() -> list[dict]:
    out = []
    for path in sorted(DEFAULT_KNOWLEDGE_DIR.glob("*.yml")):
        if path.name != "sources.yml":
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert data["version"] == 1, path.name
            out.extend(data["snippets"])
    return out


def test_snippet_ids_are_unique_snake_case_across_files() -> None:
    ids = [s["id"] for s in _raw_snippets()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(SNAKE.match(i) for i in ids)


def test_snippet_count_is_in_the_planned_range() -> None:
    assert 45 <= len(_raw_snippets()) <= 75


@pytest.mark.parametrize("snippet", _raw_snippets(), ids=lambda s: s["id"])
def test_snippet_schema(snippet: dict) -> None:
    sources = load_sources()
    assert set(snippet) == {"id", "topics", "source", "text", "hints"}
    assert snippet["source"] in sources
    assert set(snippet["topics"]) & MAIN_TOPICS, "needs at least one main topic"
    for lang in ("en", "ru"):
        assert snippet["text"][lang].strip()
        assert len(snippet["hints"][lang]) >= 3
    assert re.search(r"[а-яё]", snippet["text"]["ru"], re.I)
    assert not re.search(r"[а-яё]", snippet["text"]["en"], re.I)


@pytest.mark.parametrize("snippet", _raw_snippets(), ids=lambda s: s["id"])
def test_snippets_are_two_or_three_sentences(snippet: dict) -> None:
    # Answers must be 2-4 sentences, and a reply may be a single snippet.
    for lang in ("en", "ru"):
        assert 2 <= len(split_sentences(snippet["text"][lang])) <= 3, lang


def test_every_main_topic_has_snippets() -> None:
    topics = [t for s in _raw_snippets() for t in s["topics"]]
    for topic in MAIN_TOPICS:
        assert topics.count(topic) >= 5, topic


def test_sources_schema_and_citations(sources_dir: Path) -> None:
    data = yaml.safe_load((DEFAULT_KNOWLEDGE_DIR / "sources.yml").read_text(encoding="utf-8"))
    assert data["version"] == 1
    keys = {"id", "file", "title", "authors", "venue", "year", "doi", "url", "cite"}
    for source in data["sources"]:
        assert set(source) == keys
        assert (sources_dir / source["file"]).is_file(), source["file"]
        assert source["cite"]["en"].startswith("Source: ")
        assert source["cite"]["ru"].startswith("Источник: ")
        if source["doi"]:
            assert source["doi"] in (sources_dir / source["file"]).read_text(encoding="utf-8")
    clinic = next(s for s in data["sources"] if s["file"].startswith("clinic-page"))
    assert clinic["doi"] is None and clinic["url"] is None  # none in the file: none invented


def test_loader_rejects_a_snippet_with_an_unknown_source(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text(
        (DEFAULT_KNOWLEDGE_DIR / "sources.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "bad.yml").write_text(
        "version: 1\nsnippets:\n  - id: x\n    topics: [ptsd]\n    source: nowhere\n"
        "    text: {en: 'A. B.', ru: 'А. Б.'}\n    hints: {en: [], ru: []}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="unknown source"):
        load_snippets(tmp_path, load_sources(tmp_path))


def test_loader_rejects_duplicate_ids(tmp_path: Path) -> None:
    snippet = (
        "  - id: same\n    topics: [ptsd]\n    source: white_ketamine_meta\n"
        "    text: {en: 'A. B.'}\n    hints: {}\n"
    )
    (tmp_path / "a.yml").write_text("version: 1\nsnippets:\n" + snippet, encoding="utf-8")
    (tmp_path / "b.yml").write_text("version: 1\nsnippets:\n" + snippet, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="duplicate"):
        load_snippets(tmp_path)
