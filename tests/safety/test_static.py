"""mypy --strict and ruff on safety/ (pyproject.toml configures strict for safety.*)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))


def test_mypy_strict() -> None:
    # safety/rasa_adapters.py belongs to the Rasa side (imports Rasa); it is excluded.
    result = subprocess.run(
        [PYTHON, "-m", "mypy", "safety", "--strict", "--exclude", "safety/rasa_adapters\\.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff() -> None:
    result = subprocess.run([PYTHON, "-m", "ruff", "check", "safety"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
