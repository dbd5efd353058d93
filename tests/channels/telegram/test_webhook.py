"""Webhook mode end to end: setWebhook with a secret, and only requests carrying it count."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

import safety

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

HEADER = "X-Telegram-Bot-Api-Secret-Token"
EN_CRISIS = "I want to kill myself"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture
def webhook_bridge(fake_api, launch):
    port = _free_port()
    bridge = launch(
        _closed_port_url(),
        "--webhook", "https://bot.example.org/telegram/hook",
        ready=lambda: fake_api.calls_of("setWebhook") and _listening(port),
        TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )  # fmt: skip
    return bridge, f"http://127.0.0.1:{port}/telegram/hook"


def update(fake_api, chat_id: int, text: str, language_code: str = "en-GB") -> dict:
    return {"update_id": 5000 + chat_id, "message": fake_api.message(chat_id, language_code, text=text)}


def test_set_webhook_registers_url_and_a_generated_secret_that_is_never_logged(
    fake_api, webhook_bridge
):
    bridge, _ = webhook_bridge
    call = fake_api.calls_of("setWebhook")[-1].params
    assert call["url"] == "https://bot.example.org/telegram/hook"
    secret = call["secret_token"]
    assert len(secret) >= 32
    assert set(call["allowed_updates"]) >= {"message", "callback_query"}
    log = bridge.log()
    assert "generated a random secret" in log
    assert secret not in log
    assert not fake_api.calls_of("getUpdates")  # no polling in webhook mode


@pytest.mark.parametrize("given", [None, "", "wrong", "x" * 300])
def test_requests_without_the_right_secret_are_refused(fake_api, webhook_bridge, given):
    _, url = webhook_bridge
    headers = {} if given is None else {HEADER: given}
    response = httpx.post(url, json=update(fake_api, 301, EN_CRISIS), headers=headers, timeout=10)
    assert response.status_code == 403
    # Nothing was processed: no reply went out.
    assert fake_api.sent(301) == []


def test_a_request_with_the_right_secret_is_answered(fake_api, webhook_bridge):
    bridge, url = webhook_bridge
    secret = fake_api.calls_of("setWebhook")[-1].params["secret_token"]
    response = httpx.post(url, json=update(fake_api, 302, EN_CRISIS), headers={HEADER: secret})
    assert response.status_code == 200
    # Rasa is down here: the bridge's own fail-safe answers with the helplines.
    reply = fake_api.wait_sent(302)[0]
    assert reply == safety.compose_reply(safety.screen(EN_CRISIS, locale="en-GB"))
    assert EN_CRISIS not in bridge.log()


def test_bad_bodies_get_a_clear_answer_and_do_not_stop_the_server(fake_api, webhook_bridge):
    bridge, url = webhook_bridge
    secret = fake_api.calls_of("setWebhook")[-1].params["secret_token"]
    headers = {HEADER: secret, "Content-Type": "application/json"}
    assert httpx.post(url, content=b"{not json", headers=headers).status_code == 400
    assert httpx.post(url, content=json.dumps(["x"]), headers=headers).status_code == 200
    assert httpx.post(url, content=b"\xff\xfe", headers=headers).status_code == 400
    assert httpx.get(url).status_code == 405
    ok = httpx.post(url, json=update(fake_api, 303, "hello"), headers={HEADER: secret})
    assert ok.status_code == 200
    fake_api.wait_sent(303)
    assert bridge.process.poll() is None


def test_health_endpoint(webhook_bridge):
    # Rasa is a closed port here: degraded, with the reason (tests/channels/telegram/
    # test_webhook_health.py has the other cases).
    _, url = webhook_bridge
    health = httpx.get(url.rsplit("/telegram", 1)[0] + "/healthz")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert "rasa: Rasa unreachable: fail-safe replies in use" in health.json()["reasons"]


def test_a_configured_secret_is_used(fake_api, launch):
    port = _free_port()
    launch(
        _closed_port_url(),
        "--webhook", "https://bot.example.org/hook",
        ready=lambda: fake_api.calls_of("setWebhook") and _listening(port),
        TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        TELEGRAM_WEBHOOK_SECRET="configured_Secret-123",
    )  # fmt: skip
    assert fake_api.calls_of("setWebhook")[-1].params["secret_token"] == "configured_Secret-123"
    url = f"http://127.0.0.1:{port}/hook"
    bad = httpx.post(url, json=update(fake_api, 304, "hi"), headers={HEADER: "configured_Secret-12"})
    assert bad.status_code == 403
    good = httpx.post(url, json=update(fake_api, 304, "hi"), headers={HEADER: "configured_Secret-123"})
    assert good.status_code == 200
    fake_api.wait_sent(304)
