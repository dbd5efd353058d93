"""Regression guard: the ranker alone (no NLU, intent None) must find an expected
snippet for at least 90% of the held-out answer questions in each language."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.knowledge import KnowledgeBase
from bot.evaluation.answers import load_cases, run_offline, summarise

EVAL_DIR = Path(__file__).resolve().parents[2] / "data" / "eval"
MIN_ACCURACY = 0.9


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_offline_answer_accuracy(kb: KnowledgeBase, lang: str) -> None:
    results = run_offline(load_cases(EVAL_DIR / "answers.jsonl"), kb)
    cell = summarise(results)[lang]["answer"]
    failures = [r for r in results if r.lang == lang and r.kind == "answer" and r.status == "fail"]
    assert cell["share"] >= MIN_ACCURACY, [f"{r.id}: {r.detail}" for r in failures]


def test_offline_out_of_scope_questions_get_no_snippet(kb: KnowledgeBase) -> None:
    results = run_offline(load_cases(EVAL_DIR / "answers.jsonl"), kb)
    for lang, kinds in summarise(results).items():
        assert kinds["out_of_scope"]["share"] >= 0.8, lang
