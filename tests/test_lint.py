"""The whole project stays ruff-clean (safety/ is also type-checked strictly in tests/safety)."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import PROJECT_ROOT


def test_ruff_check_passes_on_the_project():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:]
