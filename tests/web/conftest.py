"""Fixtures for the widget's API tests: the web app against a loopback stand-in for Rasa.

``FakeRasa`` answers ``POST /webhooks/rest/webhook`` like Rasa's REST channel and records
what it was sent, so a test can count how often a message reached "Rasa". It is used
only where the question is about the bridge (exactly-once delivery, fail-safe on
errors); the end-to-end and browser tests use the real stack.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import settings as settings_module
from bot.settings import Settings

HEADERS = {"X-Requested-With": "mentallect-widget"}


class FakeRasa:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.delay = 0.0
        self.status = 200
        self.active = 0
        self.max_active = 0
        self.reply: Callable[[dict[str, Any]], list[dict[str, Any]]] = lambda body: [
            {"text": f"echo: {body['message']}"}
        ]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(body)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.active -= 1
        if self.status != 200:
            return web.Response(status=self.status, text="boom")
        return web.json_response(self.reply(body))

    def texts_for(self, sender: str) -> list[str]:
        return [c["message"] for c in self.calls if c["sender"] == sender]


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


def widget_settings(state_dir: Path, rasa_url: str, **overrides: Any) -> Settings:
    base = dataclasses.replace(
        settings_module.load(),
        state_dir=state_dir,
        rasa_url=rasa_url,
        web_secret="unit-test-secret-0123456789abcdef",
        web_db_url="",
        # The fail-safe turns go to the audit record: keep it in the test's directory.
        audit_db_url=f"sqlite:///{state_dir / 'audit.db'}",
        rasa_timeout_seconds=2.0,
        default_region="UK",
    )
    return dataclasses.replace(base, **overrides)


def widget_app(settings: Settings) -> web.Application:
    """Only the widget's routes, so these tests do not depend on the audit pages."""
    from bot.web import widget

    app = web.Application(client_max_size=64 * 1024)
    widget.setup(app, settings)
    return app


@pytest.fixture
async def make_client(
    tmp_path: Path,
) -> AsyncIterator[Callable[..., Any]]:
    clients: list[TestClient] = []

    async def factory(
        rasa_url: str, app: web.Application | None = None, **overrides: Any
    ) -> TestClient:
        settings = widget_settings(tmp_path, rasa_url, **overrides)
        client = TestClient(TestServer(app or widget_app(settings), host="127.0.0.1"))
        await client.start_server()
        client.settings = settings  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
async def client(fake_rasa: tuple[FakeRasa, str], make_client: Callable[..., Any]) -> TestClient:
    _, url = fake_rasa
    return await make_client(url)
