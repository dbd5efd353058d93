"""The statistical backstop (safety/detectors/statistical.py + statistical.json)."""

from __future__ import annotations

import json

import pytest

import safety
from safety import Level
from safety.analysis import analyse
from safety.detectors import statistical
from safety.detectors.registry import backstop, detect


def _model() -> statistical._Model:
    model = statistical._model()
    assert model is not None, "safety/detectors/statistical.json is missing"
    return model


def test_weights_file_is_small_and_describes_its_training() -> None:
    data = json.loads(statistical.MODEL_FILE.read_text(encoding="utf-8"))
    assert statistical.MODEL_FILE.stat().st_size < 600_000
    assert len(data["features"]) == len(data["idf"]) == len(data["coef"])
    assert 0.5 <= data["threshold"] < 1.0
    trained_on = data["trained_on"]
    assert "dev.jsonl" in trained_on and "dev2.jsonl" in trained_on and "data/nlu" in trained_on
    assert "holdout" not in trained_on and "shared" not in trained_on


def test_training_refuses_the_holdout() -> None:
    from safety.train_backstop import load_training_data

    with pytest.raises(ValueError, match="holdout"):
        load_training_data(["holdout"])


@pytest.mark.parametrize("text", ["I want to die", "хочу выпилиться, ничего не помогает", "how do I book a session?"])
def test_fast_path_equals_the_reference(text: str) -> None:
    model = _model()
    doc = analyse(text)
    reference = statistical.probability(statistical.features(doc.pieces), model)
    fast = statistical._probability(statistical._window_ids(doc.pieces, model), model)
    assert fast == pytest.approx(reference, abs=1e-9)


def test_it_only_raises_and_shows_as_its_own_reason() -> None:
    text = "i've given the cat to my neighbour and paid my rent three months ahead"
    verdict = safety.screen(text)
    statistical_reasons = [r for r in verdict.reasons if r.detector == "statistical"]
    for reason in statistical_reasons:
        assert reason.rule.startswith(statistical.RULE_ID) and "p=" in reason.rule
        assert reason.level == Level.CRISIS and 0.5 <= reason.score <= 1.0


def test_needs_a_rule_signal() -> None:
    # Nothing any rule notices: the backstop does not even run.
    doc = analyse("I feel flat and grey and tired all the time, like I'm underwater")
    assert backstop(doc, detect(doc)) == []


@pytest.mark.parametrize(
    "text",
    ["I'm not going to kill myself", "I'm not suicidal", "я не хочу умирать, я хочу поправиться",
     "I don't want to be a burden on my friends"],
)
def test_never_overrules_a_denial(text: str) -> None:
    verdict = safety.screen(text)
    assert verdict.level < Level.CRISIS
    assert not any(r.detector == "statistical" for r in verdict.reasons)


def test_windows_cover_a_long_message_boundedly() -> None:
    doc = analyse("What is EMDR? " * 2000)
    windows = statistical.windows(doc)
    assert len(windows) <= statistical._FIRST_WINDOWS + statistical._LAST_WINDOWS
    assert all(last - first <= statistical._WINDOW_TOKENS for first, last in windows)
