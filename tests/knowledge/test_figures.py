"""Every figure a snippet (or citation) states must be in its source article."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.knowledge.figures import figures, unsupported_figures
from actions.knowledge.loading import load_snippets, load_sources

SOURCES = load_sources()
SNIPPETS = load_snippets(sources=SOURCES)


@pytest.mark.parametrize("snippet_id", sorted(SNIPPETS))
def test_snippet_figures_are_in_its_source(snippet_id: str, sources_dir: Path) -> None:
    snippet = SNIPPETS[snippet_id]
    source_text = (sources_dir / SOURCES[snippet.source].file).read_text(encoding="utf-8")
    for lang, text in snippet.text.items():
        assert unsupported_figures(text, source_text) == [], f"{lang}: {text}"


@pytest.mark.parametrize("source_id", sorted(SOURCES))
def test_citation_figures_are_in_the_source(source_id: str, sources_dir: Path) -> None:
    source = SOURCES[source_id]
    source_text = (sources_dir / source.file).read_text(encoding="utf-8")
    for text in source.cite.values():
        assert unsupported_figures(text, source_text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fell from 52,54", {"52.54"}),
        ("fell from 52.54", {"52.54"}),
        ("about 5–8 weeks", {"5", "8"}),
        ("about 5-8 weeks", {"5", "8"}),
        ("around US$800", {"800"}),
        ("около 800 долларов", {"800"}),
        ("39% responded", {"39"}),
        ("3,870 people", {"3870", "3.87"}),
        ("3\u00a0870 человек", {"3870"}),
        ("in the 1960s", {"1960"}),
        ("six trials", {"6"}),
        ("шести исследованиях", {"6"}),
        ("вдвое выше", {"2"}),
        ("twice as likely", {"2"}),
    ],
)
def test_figures_are_read_robustly(text: str, expected: set[str]) -> None:
    values = set().union(*(v for _, v in figures(text)))
    assert expected <= values


KETAMINE_SOURCE = "psypost-ketamine-meta-analysis.txt"


@pytest.mark.parametrize(
    "wrong",
    [
        "Ketamine cut PTSD symptoms by about 35% after one day.",  # source: 25%
        "A meta-analysis combined 7 trials.",  # source: six
        "It costs around US$900 per injection.",  # source: US$800
        "Antidepressants take about 5–11 weeks.",  # source: five to eight
        "Кетамин снижал симптомы на 26,5%.",
        "В метаанализ вошли семь исследований.",  # number word, wrong
    ],
)
def test_a_wrong_figure_is_flagged(wrong: str, sources_dir: Path) -> None:
    source_text = (sources_dir / KETAMINE_SOURCE).read_text(encoding="utf-8")
    assert unsupported_figures(wrong, source_text) != []


def test_a_right_figure_is_not_flagged(sources_dir: Path) -> None:
    source_text = (sources_dir / KETAMINE_SOURCE).read_text(encoding="utf-8")
    right = "В 6 исследованиях с 259 пациентами симптомы снизились примерно на 25% за 5–8 недель."
    assert unsupported_figures(right, source_text) == []
