"""Fixtures for the audit tests: a database per test (SQLite, and PostgreSQL where one
runs), settings pointing at it, and Rasa event dicts captured in data/rasa_events.jsonl.

PostgreSQL tests use a schema of their own per test (search_path in the URL) and drop
it afterwards, so they can share the database with other suites.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import settings as settings_module

DATA = Path(__file__).parent / "data"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TEST_KEY = base64.b64encode(b"k" * 32).decode()


def pg_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None."""
    try:
        import psycopg2

        psycopg2.connect(PG_URL, connect_timeout=2).close()
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at 127.0.0.1:5432/test ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def _pg_skip() -> str | None:
    return pg_reason()


def _pg_schema_url() -> tuple[str, str]:
    schema = "audit_t_" + secrets.token_hex(6)
    return schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url(_pg_skip: str | None) -> Iterator[str]:
    if _pg_skip:
        pytest.skip(_pg_skip)
    import psycopg2

    schema, url = _pg_schema_url()
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield url
    finally:
        conn.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'audit.db'}"


def make_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, **over: Any
) -> settings_module.Settings:
    state = tmp_path / "state"
    env = {
        "BOT_STATE_DIR": str(state),
        "AUDIT_DB_URL": url,
        "AUDIT_MASTER_KEY": TEST_KEY,
        "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "AUDIT_RETENTION": "",
        "AUDIT_IDLE_MINUTES": "15",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return dataclasses.replace(settings_module.load(), **over)


@pytest.fixture
def settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str
) -> settings_module.Settings:
    return make_settings(monkeypatch, tmp_path, db_url)


@pytest.fixture
def sqlite_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str
) -> settings_module.Settings:
    return make_settings(monkeypatch, tmp_path, sqlite_url)


def load_events(hours_ago: float = 1.0) -> list[dict[str, Any]]:
    """The captured events, shifted so the last one happened ``hours_ago``."""
    events = [
        json.loads(line)
        for line in (DATA / "rasa_events.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    shift = time.time() - hours_ago * 3600 - max(e["timestamp"] for e in events)
    for e in events:
        e["timestamp"] += shift
    return events


def open_test_store(settings: settings_module.Settings) -> Any:
    from bot.audit.store import open_store

    return open_store(settings.audit_db_url, settings=settings)


def feed(settings: settings_module.Settings, events: list[dict[str, Any]] | None = None) -> None:
    """Publish events through the real broker and wait until they are in the database."""
    from bot.audit.broker import AuditEventBroker

    broker = AuditEventBroker(settings=settings, drain_interval=0.05)
    try:
        for event in events if events is not None else load_events():
            broker.publish(event)
        assert broker.flush(20), broker.health()
    finally:
        broker.writer.stop()


@pytest.fixture
def store(settings: settings_module.Settings) -> Iterator[Any]:
    s = open_test_store(settings)
    yield s
    s.close()


@pytest.fixture
def fed_store(settings: settings_module.Settings, store: Any) -> Any:
    feed(settings)
    return store


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from bot.audit.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sender_seqs(store: Any, sender: str, kind: str | None = None) -> list[int]:
    import sqlalchemy as sa

    from bot.audit import models

    rec, subj = models.record, models.subject
    with store.engine.connect() as conn:
        q = (
            sa.select(rec.c.seq)
            .select_from(rec.join(subj, rec.c.subject_id == subj.c.subject_id))
            .where(subj.c.sender_id == sender)
        )
        if kind:
            q = q.where(rec.c.kind == kind)
        return [int(s) for s in conn.execute(q.order_by(rec.c.seq)).scalars()]


class Helpers:
    """Shared helpers as a fixture: with --import-mode=importlib, tests cannot import conftest."""

    feed = staticmethod(feed)
    load_events = staticmethod(load_events)
    open_test_store = staticmethod(open_test_store)
    run_cli = staticmethod(run_cli)
    sender_seqs = staticmethod(sender_seqs)
    make_settings = staticmethod(make_settings)
    TEST_KEY = TEST_KEY
    PG_URL = PG_URL


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers


# -- web ----------------------------------------------------------------------------------

PASSWORDS = {
    "clara": "clinician password 1",
    "sam": "safety officer pass 2",
    "ada": "administrator pass 3",
}
ROLES = {"clara": "clinician", "sam": "safety_officer", "ada": "admin"}


def add_users(store: Any) -> None:
    from bot.audit import users

    for name, password in PASSWORDS.items():
        users.add_user(store, name, password, ROLES[name], actor="test", source="test")


class Web:
    """A test client on an app with the audit pages, and sign-in helpers."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.client.get(path, allow_redirects=False, **kw)

    async def text(self, path: str) -> str:
        r = await self.client.get(path)
        assert r.status == 200, (path, r.status)
        return await r.text()

    async def csrf(self, path: str = "/audit/conversations") -> str:
        import re

        html = await self.text(path)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    async def login(self, name: str, password: str | None = None) -> Any:
        token = await self.csrf("/audit/login")
        return await self.client.post(
            "/audit/login",
            data={
                "username": name,
                "password": password or PASSWORDS[name],
                "csrf_token": token,
                "next": "/audit/conversations",
            },
            allow_redirects=False,
        )

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        token: str | None = "auto",
        **kw: Any,
    ) -> Any:
        data = dict(data or {})
        if token == "auto":
            data["csrf_token"] = await self.csrf()
        elif token is not None:
            data["csrf_token"] = token
        return await self.client.post(path, data=data, allow_redirects=False, **kw)

    async def logout(self) -> None:
        await self.post("/audit/logout")


async def _web(settings: Any) -> Any:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bot.audit.web import setup

    app = web.Application()
    setup(app, settings)
    return TestClient(TestServer(app))


@pytest.fixture
async def web_app(settings: Any) -> Any:
    """Pages over a fed store (SQLite and PostgreSQL), with three users."""
    feed(settings)
    store = open_test_store(settings)
    add_users(store)
    store.close()
    client = await _web(settings)
    await client.start_server()
    try:
        yield Web(client)
    finally:
        await client.close()


@pytest.fixture
async def sqlite_web(sqlite_settings: Any) -> Any:
    feed(sqlite_settings)
    store = open_test_store(sqlite_settings)
    add_users(store)
    store.close()
    client = await _web(sqlite_settings)
    await client.start_server()
    try:
        yield Web(client)
    finally:
        await client.close()
