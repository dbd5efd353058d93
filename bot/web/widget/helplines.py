"""Emergency numbers for the widget's always-visible line, read from the helplines data.

The safety library owns ``safety/helplines.yaml`` (every number shown to users comes from
it); its public API composes whole replies but has no call for "the emergency number
of a region", which is all the notice line needs. So this module reads the same file,
read-only, and picks the emergency line of each region. If the file's shape changes and
no number can be found, :func:`emergency_number` raises instead of guessing one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["emergency_number", "helplines_path"]


def helplines_path() -> Path:
    import safety

    return Path(safety.__file__).resolve().parent / "helplines.yaml"


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    import yaml

    with helplines_path().open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    raw = data.get("helplines", data) if isinstance(data, dict) else data
    if isinstance(raw, dict):
        items = [{"id": key, **value} for key, value in raw.items() if isinstance(value, dict)]
    elif isinstance(raw, list):
        items = [item for item in raw if isinstance(item, dict)]
    else:
        items = []
    return tuple(items)


def _as_set(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value.upper()}
    if isinstance(value, (list, tuple)):
        return {str(v).upper() for v in value}
    return set()


def emergency_number(region: str) -> str:
    """The emergency number for ``region`` ("UK" or "EU") as written in the data."""
    region = region.upper()
    for entry in _entries():
        kind = str(entry.get("kind") or entry.get("type") or entry.get("category") or "")
        if kind.lower() != "emergency":
            continue
        where = _as_set(entry.get("regions") or entry.get("region"))
        if region in where:
            number = entry.get("number")
            if number:
                return str(number)
    raise LookupError(f"no emergency number for region {region} in {helplines_path()}")
