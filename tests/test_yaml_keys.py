"""No YAML file in the project gives a key twice in one mapping.

PyYAML keeps the last of two equal keys without a word; in this project that silently
dropped a concept's exceptions once and a list of ranking phrases another time. The
safety package refuses such files at load (safety/_data.py); this test covers the rest
(the knowledge, the NLU data, the domain, the ranking and advice tables).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {".venv", "var", "node_modules", ".git", ".rasa", "models"}
FILES = sorted(
    p for pattern in ("*.yml", "*.yaml") for p in ROOT.rglob(pattern)
    if not SKIP_PARTS.intersection(p.relative_to(ROOT).parts)
)


class _DuplicateKeyLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise AssertionError(f"line {key_node.start_mark.line + 1}: key {key!r} given twice")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_DuplicateKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def test_there_are_yaml_files() -> None:
    assert len(FILES) > 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_key_given_twice(path: Path) -> None:
    for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_DuplicateKeyLoader):  # noqa: S506
        pass
