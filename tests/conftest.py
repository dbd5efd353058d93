"""Shared fixtures: a quick test model (trained once, cached under var/) and real servers.

The end-to-end fixtures start the real processes (Rasa server, action server, web
app) through the same supervisor as ``make run``, on free loopback ports, with
their databases in a temporary directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.loopback import isolated_settings
from bot.settings import PROJECT_ROOT, Settings

# Few epochs: enough for the test stories, quick enough for CI. `make run` trains the
# full model from config.yml separately (its fingerprint differs).
TEST_EPOCHS = 40
TEST_MODELS_DIR = PROJECT_ROOT / "var" / "test-models"


def make_settings(state_dir: Path, replicas: int = 1, **overrides: object) -> Settings:
    """Settings for an isolated stack: own ports, own databases under ``state_dir``."""
    base = isolated_settings(state_dir, replicas)
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def test_model() -> Path:
    """The quick model, trained once and reused while its inputs are unchanged."""
    from bot.training import ensure_model

    settings = dataclasses.replace(settings_module.load(), state_dir=PROJECT_ROOT / "var")
    return ensure_model(settings, models_dir=TEST_MODELS_DIR, epochs=TEST_EPOCHS)


@pytest.fixture(scope="session")
def stack(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Rasa server + action server + web app, shared by the end-to-end tests.

    The HTTP API is on (with a token) so tests can try the API bypasses.
    """
    from bot.runner import Stack

    settings = make_settings(tmp_path_factory.mktemp("stack"), rasa_auth_token="e2e-token")
    running = Stack(
        settings, models_dir=TEST_MODELS_DIR, epochs=TEST_EPOCHS, with_web=True, with_telegram=False
    )
    running.start(progress=False)
    yield running
    running.stop()
