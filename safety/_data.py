"""Loading the YAML files that sit beside the code, once, on first use.

PyYAML is imported here (not at package import) so ``import safety`` stays fast.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["load_yaml", "PACKAGE_DIR"]

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def load_yaml(relative_path: str) -> dict[str, Any]:
    """Parse ``safety/<relative_path>``; cached, so each file is read once per process."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (PACKAGE_DIR / relative_path).open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=loader)  # noqa: S506 - a SafeLoader
    if not isinstance(data, dict):
        raise ValueError(f"safety/{relative_path}: expected a mapping at the top level")
    return data
