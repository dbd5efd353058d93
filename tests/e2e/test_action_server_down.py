"""With the action server down, crisis replies are unchanged and questions get a polite fallback."""

from __future__ import annotations

import uuid

import httpx
import pytest

import safety
from tests.conftest import TEST_EPOCHS, TEST_MODELS_DIR, make_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack_without_actions(test_model, tmp_path_factory):
    from bot.runner import Stack

    settings = make_settings(tmp_path_factory.mktemp("no-actions"))
    running = Stack(
        settings, models_dir=TEST_MODELS_DIR, epochs=TEST_EPOCHS,
        with_web=False, with_telegram=False, with_actions=False,
    )
    running.start(progress=False)
    yield running
    running.stop()


def send(stack, text: str, locale: str) -> list[str]:
    response = httpx.post(
        f"{stack.settings.rasa_url}/webhooks/rest/webhook",
        json={"sender": f"down-{uuid.uuid4().hex[:8]}", "message": text, "metadata": {"locale": locale}},
        timeout=60,
    )
    assert response.status_code == 200
    return [m.get("text") or "" for m in response.json()]


@pytest.mark.parametrize(("text", "locale"), [("I want to kill myself", "en-GB"), ("хочу покончить с собой", "ru")])
def test_crisis_reply_does_not_need_the_action_server(stack_without_actions, text, locale):
    replies = send(stack_without_actions, text, locale)
    assert replies[0] == safety.compose_reply(safety.screen(text, locale=locale))


def test_question_gets_a_polite_fallback(stack_without_actions):
    replies = send(stack_without_actions, "how fast does ketamine work?", "en-GB")
    assert replies[0] == safety.compose_unavailable("en", "UK")
