"""Shared fixtures: a quick test model (trained once, cached under var/) and real servers.

The end-to-end fixtures start the real processes (Rasa server, action server, web
app) through the same supervisor as ``make run``, on free loopback ports, with
their databases in a temporary directory.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.settings import PROJECT_ROOT, Settings

# Few epochs: enough for the test stories, quick enough for CI. `make run` trains the
# full model from config.yml separately (its fingerprint differs).
TEST_EPOCHS = 40
TEST_MODELS_DIR = PROJECT_ROOT / "var" / "test-models"


def free_port_block(count: int = 1) -> int:
    """First of ``count`` consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count >= 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return base
    raise RuntimeError("no free block of ports")


def make_settings(state_dir: Path, replicas: int = 1, **overrides: object) -> Settings:
    """Settings for an isolated stack: own ports, own databases under ``state_dir``."""
    rasa_port = free_port_block(replicas)
    action_port = free_port_block()
    web_port = free_port_block()
    base = dataclasses.replace(
        settings_module.load(),
        state_dir=state_dir,
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=web_port,
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}/webhook",
        tracker_db_url=f"sqlite:///{state_dir / 'tracker.db'}",
        audit_db_url=f"sqlite:///{state_dir / 'audit.db'}",
        lock_store_url="",
        telegram_token="",
        rasa_auth_token="",
    )
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
