"""The project's own labelled cases (``cases/dev.jsonl``, ``dev2.jsonl``, ``dev3.jsonl``, ``dev4.jsonl`` to ``dev6.jsonl``; the held-out
``holdout.jsonl`` and ``holdout2.jsonl`` only when asked for).

Schema: see ``cases/README.md`` (owned by the case writer). Read-only here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from safety.evaluation.examples import Example

__all__ = ["CASES_DIR", "load_cases"]

CASES_DIR = Path(__file__).resolve().parent / "cases"
_LEVELS = {"none", "support", "crisis", "emergency"}


def load_cases(name: str, directory: Path = CASES_DIR) -> Iterator[Example]:
    """Yield the cases of ``<name>.jsonl`` ("dev", "dev2", ... "dev6", "holdout", "holdout2")."""
    path = directory / f"{name}.jsonl"
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            label = str(row["label"])
            if label not in _LEVELS:
                raise ValueError(f"{path}:{number}: unknown label {label!r}")
            history = row.get("history") or []
            yield Example(
                source=name,
                id=str(row["id"]),
                text=str(row["text"]),
                label=label,
                lang=str(row["lang"]),
                category=str(row["category"]),
                locale=row.get("locale"),
                history=tuple(str(h) for h in history),
            )
