"""``make run`` starts the bridge when TELEGRAM_BOT_TOKEN is set (bot.runner.Stack)."""

from __future__ import annotations

import pytest

import safety
from tests.conftest import TEST_EPOCHS, TEST_MODELS_DIR, make_settings

# func_only: the first test to need the quick model trains it in the session fixture, and
# on a slow run that took four of these five minutes (CI, 2026-11-21); start-up is bounded
# by Stack itself.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300, func_only=True)]

EN_CRISIS = "I want to kill myself"


def test_the_supervisor_starts_and_stops_the_bridge_with_the_rest(
    test_model, fake_api, tmp_path
):
    from bot.runner import Stack

    settings = make_settings(
        tmp_path,
        telegram_token=fake_api.token,
        telegram_api_url=fake_api.base_url,
        telegram_rate_limit=5,
    )
    stack = Stack(settings, models_dir=TEST_MODELS_DIR, epochs=TEST_EPOCHS,
                  with_web=False, with_actions=False)  # fmt: skip
    assert stack.with_telegram  # decided by the token alone
    try:
        stack.start(progress=False)  # inside the try: a failed start must not leak servers
        bridge = next(s for s in stack.services if s.name == "telegram bridge")
        fake_api.wait_for(lambda: fake_api.calls_of("getUpdates"), 60, "the bridge to poll")
        fake_api.push_text(501, EN_CRISIS, language_code="en-GB")
        texts = fake_api.wait_sent(501, timeout=60)
        # Rasa's in-server safety reply (no action server needed), through the bridge.
        assert texts[0] == safety.compose_reply(safety.screen(EN_CRISIS, locale="en-GB"))
        log = bridge.log_tail(200)
        assert "Telegram bridge ready" in log and EN_CRISIS not in log
    finally:
        stack.stop()
    assert not bridge.alive()
