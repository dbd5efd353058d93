"""Rasa's own checks on this project: `rasa data validate` and story tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.settings import PROJECT_ROOT
from bot.training import TRAINING_DATA, rasa_env

pytestmark = pytest.mark.slow

# Warnings we expect and why: these are used by the safety policy and RulePolicy's core
# fallback, never by a rule, and `safety_alert` is set by the safety layer, never trained.
EXPECTED_WARNINGS = {
    "The intent 'safety_alert' is listed in the domain file, but is not found in the NLU training data.",
    "The intent 'safety_alert' is not used in any story or rule.",
    "The utterance 'utter_default' is not used in any story or rule.",
    # Chosen by action_answer_question when the knowledge base has nothing confident.
    "The utterance 'utter_out_of_scope' is not used in any story or rule.",
    "The utterance 'utter_clarify' is not used in any story or rule.",
    "The utterance 'utter_safety' is not used in any story or rule.",
    "The utterance 'utter_safety_signpost' is not used in any story or rule.",
    "The utterance 'utter_session_notice' is not used in any story or rule.",
}


def _rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args],
        cwd=PROJECT_ROOT,
        env=rasa_env(settings_module.load()),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_rasa_data_validate_passes_with_only_the_expected_warnings():
    data = [str(p) for p in TRAINING_DATA if p.exists()]
    result = _rasa("data", "validate", "--domain", "domain", "--config", "config.yml", "--data", *data)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warnings = set(re.findall(r"UserWarning: (.+?)\n", result.stderr + result.stdout))
    assert warnings <= EXPECTED_WARNINGS, warnings - EXPECTED_WARNINGS


def test_story_tests_pass_with_no_prediction_errors(test_model: Path, tmp_path: Path):
    result = _rasa(
        "test", "core",
        "--model", str(test_model),
        "--stories", str(PROJECT_ROOT / "tests" / "stories"),
        "--fail-on-prediction-errors",
        "--out", str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, detail
