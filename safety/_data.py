"""Loading the YAML files that sit beside the code, once, on first use.

PyYAML is imported here (not at package import) so ``import safety`` stays fast.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["load_yaml", "parse_yaml", "strict_loader", "PACKAGE_DIR"]

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def load_yaml(relative_path: str) -> dict[str, Any]:
    """Parse ``safety/<relative_path>``; cached, so each file is read once per process."""
    with (PACKAGE_DIR / relative_path).open(encoding="utf-8") as handle:
        return parse_yaml(handle.read(), f"safety/{relative_path}")


def parse_yaml(text: str, name: str) -> dict[str, Any]:
    """Parse one rules file; a key given twice in one mapping is an error.

    PyYAML keeps the last of two equal keys without a word, so a second ``except:``
    written into a concept silently threw the first list away; a rule file must fail
    loudly instead.
    """
    import yaml

    data = yaml.load(text, Loader=strict_loader())  # noqa: S506 - a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping at the top level")
    return data


@cache
def strict_loader() -> type:
    """A safe YAML loader that raises ValueError on a key given twice in one mapping."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        pass

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise ValueError(f"{mark.name}, line {mark.line + 1}: key {key!r} given twice")
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return StrictLoader
