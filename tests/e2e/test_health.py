"""Health endpoints of the real stack (``bot.runner.Stack``): every process says ready."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_web_app_is_ready_with_rasa_action_server_and_databases_up(stack):
    s = stack.settings
    reply = httpx.get(f"http://127.0.0.1:{s.web_port}/healthz", timeout=10)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ready", body
    assert set(body["checks"]) == {"widget_store", "audit", "rasa", "safety_screen"}
    assert body["checks"]["rasa"]["answering"] == 1


def test_the_runner_starts_the_launcher_and_its_healthz_is_ready(stack):
    s = stack.settings
    service = stack.service("action server")
    assert service.command[1:3] == ["-m", "bot.action_server"]
    assert service.health_url.endswith("/healthz")
    base = f"http://127.0.0.1:{s.action_port}"
    assert httpx.get(f"{base}/health", timeout=10).json() == {"status": "ok"}
    body = httpx.get(f"{base}/healthz", timeout=10).json()
    assert body["status"] == "ready", body
    assert body["checks"]["knowledge"]["snippets"]["ru"] > 0


def test_rasa_still_sees_the_action_server_through_health(stack):
    body = httpx.get(f"{stack.settings.rasa_url}/webhooks/health/", timeout=30).json()
    assert body["checks"]["action_server"]["status"] == "ready", body


def test_a_question_is_answered_by_the_launched_action_server(stack):
    reply = httpx.post(
        f"{stack.settings.rasa_url}/webhooks/rest/webhook",
        json={"sender": "health-e2e", "message": "what is ptsd", "metadata": {"locale": "en-GB"}},
        timeout=60,
    )
    assert reply.status_code == 200
    texts = " ".join(m.get("text") or "" for m in reply.json())
    assert "PTSD" in texts or "ПТСР" in texts
