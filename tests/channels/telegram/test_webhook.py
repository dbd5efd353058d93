"""Webhook mode end to end: setWebhook with a secret, only requests carrying it count, and
``GET /healthz`` says ready / degraded / down and why (Rasa a closed port or a stand-in)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def _start(fake_api, launch, rasa_url: str):
    """The bridge in webhook mode on a free port; returns it and its base URL."""
    port = _free_port()
    bridge = launch(
        rasa_url,
        "--webhook", "https://bot.example.org/telegram/hook",
        ready=lambda: fake_api.calls_of("setWebhook") and _listening(port),
        TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )  # fmt: skip
    return bridge, f"http://127.0.0.1:{port}"


@pytest.fixture
def webhook_bridge(fake_api, launch):
    bridge, base = _start(fake_api, launch, _closed_port_url())
    return bridge, f"{base}/telegram/hook"


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


# --- GET /healthz: ready / degraded / down and why (see docs/health.md) ----------------

PRIVATE = "nobody else should ever read this sentence"


class _RasaHealth(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).calls += 1
        ok = self.path == "/webhooks/health/"
        body = json.dumps({"status": "ready"} if ok else {}).encode()
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rasa_up() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RasaHealth)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_degraded_with_fail_safe_reason_when_rasa_is_down(fake_api, launch):
    _, base = _start(fake_api, launch, _closed_port_url())
    reply = httpx.get(f"{base}/healthz", timeout=10)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "degraded"
    assert body["checks"]["rasa"]["status"] == "degraded"
    assert body["checks"]["rasa"]["answering"] == 0
    assert "rasa: Rasa unreachable: fail-safe replies in use" in body["reasons"]
    assert body["checks"]["bot_api"]["status"] == "ready"
    assert body["received"] == 0


def test_ready_when_rasa_answers_and_the_bot_api_took_the_last_reply(fake_api, launch, rasa_up):
    _, base = _start(fake_api, launch, rasa_up)
    body = httpx.get(f"{base}/healthz", timeout=10).json()
    assert body["status"] == "ready", body
    assert body["reasons"] == []
    assert body["checks"]["rasa"] == {
        "status": "ready", "reasons": [], "replicas": 1, "answering": 1,
    }  # fmt: skip


def test_bot_api_unreachable_at_the_last_send_is_degraded_until_a_send_works(fake_api, launch):
    bridge, base = _start(fake_api, launch, _closed_port_url())
    secret = fake_api.calls_of("setWebhook")[-1].params["secret_token"]
    # HTTP 502 from the Bot API is a network error for python-telegram-bot: every
    # attempt of the fail-safe reply fails.
    fake_api.fail_next["sendMessage"] = [(502, "Bad Gateway", {})] * 4
    hook = f"{base}/telegram/hook"
    assert httpx.post(hook, json=update(fake_api, 401, PRIVATE), headers={HEADER: secret}).status_code == 200
    fake_api.wait_for(lambda: len(fake_api.calls_of("sendMessage")) >= 4, what="4 send attempts")

    def bot_api_status() -> dict:
        return httpx.get(f"{base}/healthz", timeout=10).json()

    body = fake_api.wait_for(
        lambda: (b := bot_api_status())["checks"]["bot_api"]["status"] == "degraded" and b,
        what="bot_api degraded",
    )
    assert any(r.startswith("bot_api: Bot API not reachable at the last send (NetworkError")
               for r in body["reasons"]), body
    assert PRIVATE not in json.dumps(body)
    assert body["received"] == 1

    # The next reply gets through: ready again.
    assert httpx.post(hook, json=update(fake_api, 402, "hello"), headers={HEADER: secret}).status_code == 200
    fake_api.wait_sent(402)
    body = fake_api.wait_for(
        lambda: (b := bot_api_status())["checks"]["bot_api"]["status"] == "ready" and b,
        what="bot_api ready",
    )
    assert body["received"] == 2
    assert PRIVATE not in bridge.log()
