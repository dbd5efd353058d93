"""Message sets for the REST benchmarks, from the project's own development data.

* content questions: ``data/eval/answers_dev*.jsonl`` cases that expect a snippet
  (the held-out ``answers.jsonl`` and ``answers_blind.jsonl`` are never read here);
* crisis messages: ``safety/evaluation/cases/dev.jsonl`` and ``dev2.jsonl`` cases
  labelled crisis or emergency that the screen flags, so each one gets the crisis reply
  (the held-out files are read only by the plain-Rasa comparison, for recall).

Texts are never printed by the benchmarks: only counts and timings.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_FILES = sorted((ROOT / "data" / "eval").glob("answers_dev*.jsonl"))
CRISIS_FILES = [ROOT / "safety" / "evaluation" / "cases" / name for name in ("dev.jsonl", "dev2.jsonl")]
HELD_OUT_FILES = [
    ROOT / "safety" / "evaluation" / "cases" / name for name in ("holdout.jsonl", "holdout2.jsonl")
]
_LOCALES = {"en": "en-GB", "ru": "ru"}


@dataclass(frozen=True)
class Message:
    text: str
    locale: str


def _lines(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def content_messages() -> list[Message]:
    """Treatment questions in English and Russian that the screen leaves alone."""
    import safety

    messages = []
    for path in CONTENT_FILES:
        for case in _lines(path):
            expect = case.get("expect") or {}
            if not isinstance(expect, dict) or not expect.get("snippets"):
                continue
            locale = _LOCALES.get(str(case.get("lang")), "en-GB")
            text = str(case["question"])
            if safety.screen(text, locale=locale).level == safety.Level.NONE:
                messages.append(Message(text, locale))
    return messages


def crisis_messages() -> list[Message]:
    """Crisis and emergency development cases (all languages) that the screen flags."""
    import safety

    messages = []
    for path in CRISIS_FILES:
        for case in _lines(path):
            if case.get("label") not in ("crisis", "emergency"):
                continue
            locale = str(case.get("locale") or _LOCALES.get(str(case.get("lang")), str(case.get("lang"))))
            text = str(case["text"])
            if safety.screen(text, locale=locale).level.at_least(safety.Level.CRISIS):
                messages.append(Message(text, locale))
    return messages


def labelled_cases(paths: list[Path]) -> list[dict[str, object]]:
    """Raw labelled cases (for recall); callers must not print their texts."""
    return [case for path in paths for case in _lines(path)]


def conversations(
    pool: list[Message], count: int, turns: int, seed: int
) -> list[list[Message]]:
    """``count`` conversations of ``turns`` messages drawn from ``pool`` (fixed seed)."""
    rng = random.Random(seed)
    return [[rng.choice(pool) for _ in range(turns)] for _ in range(count)]
