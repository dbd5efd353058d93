"""``GET /healthz`` on the web app: ready / degraded / down, and why.

The whole app (``bot.web.app.create_app``) over real HTTP on loopback, with a stand-in
for Rasa that answers ``/webhooks/health/`` (and counts how often it was asked) or a
closed port for "Rasa down". The real stack's web app is checked in tests/e2e/test_health.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web.app import create_app
from bot.web.health import RASA_DOWN_REASON

from .conftest import HEADERS, widget_settings

pytestmark = pytest.mark.timeout(60)

SECRET_TEXT = "my private words about the night it happened"


class FakeRasaHealth:
    def __init__(self) -> None:
        self.health_calls = 0
        self.status = 200

    async def health(self, request: web.Request) -> web.Response:
        self.health_calls += 1
        return web.json_response({"status": "ready"}, status=self.status)

    async def rest(self, request: web.Request) -> web.Response:
        return web.json_response([{"text": "an answer"}])


@pytest.fixture
async def rasa() -> AsyncIterator[tuple[FakeRasaHealth, str]]:
    fake = FakeRasaHealth()
    app = web.Application()
    app.router.add_get("/webhooks/health/", fake.health)
    app.router.add_post("/webhooks/rest/webhook", fake.rest)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
async def start_app(tmp_path: Path) -> AsyncIterator[Any]:
    clients: list[TestClient] = []

    async def start(rasa_url: str, **overrides: Any) -> TestClient:
        settings = widget_settings(tmp_path, rasa_url, **overrides)
        client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


async def _health(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/healthz")
    return response.status, await response.json()


async def test_ready_when_everything_is_up(rasa, start_app):
    fake, url = rasa
    client = await start_app(url)
    status, body = await _health(client)
    assert status == 200
    assert body["status"] == "ready", body
    assert body["reasons"] == []
    assert set(body["checks"]) == {"widget_store", "audit", "rasa", "safety_screen"}
    assert all(c["status"] == "ready" for c in body["checks"].values())
    assert body["checks"]["rasa"]["answering"] == 1
    assert fake.health_calls == 1


async def test_degraded_with_the_fail_safe_reason_when_rasa_is_down(start_app):
    client = await start_app(_closed_port_url())
    status, body = await _health(client)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["rasa"]["status"] == "degraded"
    assert f"rasa: {RASA_DOWN_REASON}" in body["reasons"]
    assert body["checks"]["rasa"]["answering"] == 0
    # Only Rasa is impaired.
    assert body["checks"]["widget_store"]["status"] == "ready"
    assert body["checks"]["safety_screen"]["status"] == "ready"


async def test_a_replica_answering_503_counts_as_not_answering(rasa, start_app):
    fake, url = rasa
    fake.status = 503
    client = await start_app(url)
    _, body = await _health(client)
    assert body["status"] == "degraded"
    assert any("answered HTTP 503" in r for r in body["reasons"])


async def test_one_of_two_replicas_down_is_degraded_and_counted(rasa, start_app):
    _, url = rasa
    client = await start_app(f"{url},{_closed_port_url()}")
    status, body = await _health(client)
    assert status == 200
    rasa_check = body["checks"]["rasa"]
    assert rasa_check["status"] == "degraded"
    assert (rasa_check["replicas"], rasa_check["answering"]) == (2, 1)
    assert any("1 of 2 Rasa replicas" in r for r in rasa_check["reasons"])


async def test_down_503_when_the_widget_database_goes_away(rasa, tmp_path, start_app):
    _, url = rasa
    db = tmp_path / "widget.db"
    client = await start_app(url, web_db_url=f"sqlite:///{db}")
    status, body = await _health(client)
    assert (status, body["checks"]["widget_store"]["status"]) == (200, "ready")
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            os.remove(path)
    status, body = await _health(client)
    assert status == 503
    assert body["status"] == "down"
    assert body["checks"]["widget_store"]["status"] == "down"
    assert any(r.startswith("widget_store: widget database unusable") for r in body["reasons"])
    # The health check must not have recreated the file (with whatever permissions).
    assert not db.exists()


async def test_down_when_the_widget_database_is_not_a_database(rasa, tmp_path, start_app):
    _, url = rasa
    db = tmp_path / "widget.db"
    client = await start_app(url, web_db_url=f"sqlite:///{db}")
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this is not an SQLite file at all " * 200)
    status, body = await _health(client)
    assert status == 503
    assert body["checks"]["widget_store"]["status"] == "down"


async def test_rasa_probe_is_cached_and_shared_by_concurrent_pollers(rasa, start_app):
    fake, url = rasa
    client = await start_app(url)
    replies = await asyncio.gather(*(client.get("/healthz") for _ in range(20)))
    assert all(r.status == 200 for r in replies)
    await _health(client)
    # 21 reports, one probe: a poller cannot hammer Rasa.
    assert fake.health_calls == 1


async def test_report_is_quick_when_rasa_does_not_answer(start_app):
    # A port that accepts connections but never answers: the probe's timeout bounds it.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        client = await start_app(f"http://127.0.0.1:{silent.getsockname()[1]}")
        loop = asyncio.get_running_loop()
        started = loop.time()
        status, body = await _health(client)
        took = loop.time() - started
    finally:
        silent.close()
    assert status == 200
    assert body["checks"]["rasa"]["status"] == "degraded"
    assert took < 2.5, took


async def test_report_never_carries_message_text_or_secrets(rasa, start_app):
    _, url = rasa
    client = await start_app(url)
    session = await client.post("/api/chat/session", json={"locale": "en-GB"}, headers=HEADERS)
    assert session.status == 200
    sent = await client.post(
        "/api/chat/messages",
        json={"text": SECRET_TEXT, "client_message_id": str(uuid.uuid4()), "locale": "en-GB"},
        headers=HEADERS,
    )
    assert sent.status == 200, await sent.text()
    _, body = await _health(client)
    raw = json.dumps(body)
    assert SECRET_TEXT not in raw
    assert "unit-test-secret" not in raw
    assert "sqlite" not in raw
