"""Webhook mode's ``GET /healthz``: ready / degraded / down and why.

The real bridge process (``python -m bot telegram --webhook ...``) against the fake Bot
API, with Rasa either a closed port or a stand-in answering ``/webhooks/health/``.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

HEADER = "X-Telegram-Bot-Api-Secret-Token"
PRIVATE = "nobody else should ever read this sentence"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


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


def _start(fake_api, launch, rasa_url: str):
    port = _free_port()
    bridge = launch(
        rasa_url,
        "--webhook", "https://bot.example.org/telegram/hook",
        ready=lambda: fake_api.calls_of("setWebhook") and _listening(port),
        TELEGRAM_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )  # fmt: skip
    return bridge, f"http://127.0.0.1:{port}"


def _update(fake_api, chat_id: int, text: str) -> dict:
    return {"update_id": 7000 + chat_id, "message": fake_api.message(chat_id, "en-GB", text=text)}


def test_degraded_with_fail_safe_reason_when_rasa_is_down(fake_api, launch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    _, base = _start(fake_api, launch, closed)
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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    bridge, base = _start(fake_api, launch, closed)
    secret = fake_api.calls_of("setWebhook")[-1].params["secret_token"]
    # HTTP 502 from the Bot API is a network error for python-telegram-bot: every
    # attempt of the fail-safe reply fails.
    fake_api.fail_next["sendMessage"] = [(502, "Bad Gateway", {})] * 4
    hook = f"{base}/telegram/hook"
    assert httpx.post(hook, json=_update(fake_api, 401, PRIVATE), headers={HEADER: secret}).status_code == 200
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
    assert httpx.post(hook, json=_update(fake_api, 402, "hello"), headers={HEADER: secret}).status_code == 200
    fake_api.wait_sent(402)
    body = fake_api.wait_for(
        lambda: (b := bot_api_status())["checks"]["bot_api"]["status"] == "ready" and b,
        what="bot_api ready",
    )
    assert body["received"] == 2
    assert PRIVATE not in bridge.log()
