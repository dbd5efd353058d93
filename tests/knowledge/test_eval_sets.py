"""The answer evaluation sets: shape, coverage, and independence from training text."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from actions.knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]

HELD_OUT = "answers.jsonl"
DEV = "answers_dev.jsonl"
DEV2 = "answers_dev2.jsonl"
DEV3 = "answers_dev3.jsonl"
DEV4 = "answers_dev4.jsonl"
DEV_OOS = "answers_dev_oos.jsonl"
DEV5 = "answers_dev5.jsonl"
DEV_ADVICE = "answers_dev_advice.jsonl"
BLIND = "answers_blind.jsonl"
BLIND2 = "answers_blind2.jsonl"
BLIND3 = "answers_blind3.jsonl"
BLIND4 = "answers_blind4.jsonl"
BLIND5 = "answers_blind5.jsonl"
BLIND6 = "answers_blind6.jsonl"
ALL_SETS = [HELD_OUT, DEV, DEV2, DEV3, DEV4, DEV5, DEV_OOS, DEV_ADVICE, BLIND, BLIND2, BLIND3, BLIND4, BLIND5, BLIND6]


def read_cases(name: str) -> list[dict]:
    lines = (REPO / "data" / "eval" / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _kind(case: dict) -> str:
    return "answer" if case["expect"].get("snippets") else case["expect"]["kind"]


@pytest.mark.parametrize("name", ALL_SETS)
def test_cases_are_well_formed(name: str, kb: KnowledgeBase) -> None:
    cases = read_cases(name)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    for case in cases:
        assert set(case) == {"id", "lang", "question", "expect"}
        assert case["lang"] in ("en", "ru")
        assert case["question"].strip()
        if _kind(case) == "answer":
            assert set(case["expect"]) == {"snippets"}
            assert all(sid in kb.snippets for sid in case["expect"]["snippets"])
        else:
            assert case["expect"] == {"kind": _kind(case)}
            assert _kind(case) in ("decline", "out_of_scope")


def test_held_out_set_size_and_mix() -> None:
    counts = Counter((c["lang"], _kind(c)) for c in read_cases(HELD_OUT))
    for lang in ("en", "ru"):
        assert sum(n for (lg, _), n in counts.items() if lg == lang) >= 40
        assert counts[(lang, "answer")] >= 30
        assert counts[(lang, "decline")] >= 8
        assert counts[(lang, "out_of_scope")] >= 6


def _training_texts() -> set[str]:
    texts: set[str] = set()
    for path in (REPO / "data" / "nlu").rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    texts.add(line.strip()[2:].strip().lower())
    for path in (REPO / "data" / "knowledge").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for snippet in data.get("snippets") or []:
            for hints in (snippet.get("hints") or {}).values():
                texts.update(h.strip().lower() for h in hints)
    return texts


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


# The blind sets were written by authors who never saw the NLU data, and some of their
# short, canonical questions ("how common is ptsd") are word for word examples that were
# already in data/nlu or the hints before the set was written (git log -S shows each one
# added earlier). Those coincidences are listed here so that any other overlap, above all
# a blind question copied into training later, fails.
COINCIDENT = {
    BLIND: {"blind-en-005", "blind-en-055", "blind-en-071", "blind-en-091", "blind-ru-006",
            "blind-ru-013", "blind-ru-043", "blind-ru-053", "blind-ru-064", "blind-ru-067"},
    BLIND2: {"blind2-en-005", "blind2-en-008", "blind2-en-029", "blind2-ru-032", "blind2-ru-049"},
    # Both in data/nlu since its first commit (f35eb15), long before blind5 was written.
    BLIND5: {"blind5-ru-019", "blind5-ru-035"},
}


@pytest.mark.parametrize("name", ALL_SETS)
def test_no_eval_question_is_in_nlu_data_or_hints(name: str) -> None:
    training = {_normalise(t) for t in _training_texts()}
    copied = {c["id"] for c in read_cases(name) if _normalise(c["question"]) in training}
    assert copied == COINCIDENT.get(name, set())


def test_the_check_would_catch_a_copy() -> None:
    assert "what is ptsd" in {_normalise(t) for t in _training_texts()}


def test_dev_and_held_out_sets_do_not_share_questions() -> None:
    held_out = {_normalise(c["question"]) for c in read_cases(HELD_OUT)}
    for name in (DEV, DEV2, DEV3, DEV4, DEV5, DEV_OOS, DEV_ADVICE):
        # Name only the development cases that collide: the held-out questions stay unseen.
        shared = [c["id"] for c in read_cases(name) if _normalise(c["question"]) in held_out]
        assert shared == [], name


def test_eval_readme_exists() -> None:
    assert Path(REPO / "data" / "eval" / "README.md").is_file()
