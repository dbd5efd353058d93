"""No YAML file in the project gives a key twice in one mapping.

PyYAML keeps the last of two equal keys without a word; in this project that silently
dropped a concept's exceptions once and a list of ranking phrases another time. The
safety package refuses such files at load (safety/_data.py); this test applies the same
strict loader to the rest (the knowledge, the NLU data, the domain, the ranking and advice
tables).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safety._data import strict_loader

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {".venv", "var", "node_modules", ".git", ".rasa", "models"}
FILES = sorted(
    p for pattern in ("*.yml", "*.yaml") for p in ROOT.rglob(pattern)
    if not SKIP_PARTS.intersection(p.relative_to(ROOT).parts)
)


def test_there_are_yaml_files() -> None:
    assert len(FILES) > 20


def test_the_loader_refuses_a_key_given_twice() -> None:
    with pytest.raises(ValueError, match="given twice"):
        yaml.load("a: 1\na: 2\n", Loader=strict_loader())  # noqa: S506


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_key_given_twice(path: Path) -> None:
    for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=strict_loader()):  # noqa: S506
        pass
