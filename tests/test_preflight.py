"""Start-up checks of the configured stores, and the production profile's defaults."""

from __future__ import annotations

import dataclasses
import socket

from bot import settings as settings_module
from bot.preflight import problems


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_stores_are_named_without_their_password(tmp_path):
    port = closed_port()
    settings = dataclasses.replace(
        settings_module.load(),
        tracker_db_url=f"postgresql://app:s3cret@127.0.0.1:{port}/rasa",
        audit_db_url=f"sqlite:///{tmp_path / 'audit.db'}",
        lock_store_url=f"redis://127.0.0.1:{port}/1",
    )
    found = problems(settings)
    assert len(found) == 2
    assert "tracker store" in found[0] and "lock store" in found[1]
    assert "s3cret" not in " ".join(found) and "***" in found[0]


def test_sqlite_needs_no_server(tmp_path):
    settings = dataclasses.replace(
        settings_module.load(),
        tracker_db_url=f"sqlite:///{tmp_path / 't.db'}",
        audit_db_url=f"sqlite:///{tmp_path / 'a.db'}",
        lock_store_url="",
    )
    assert problems(settings) == []


def test_production_profile_uses_shared_stores(monkeypatch):
    for name in ("TRACKER_DB_URL", "AUDIT_DB_URL", "LOCK_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_PROFILE", "production")
    settings = settings_module.load()
    assert settings.tracker_db_url.startswith("postgresql://")
    assert settings.audit_db_url.startswith("postgresql://")
    assert settings.lock_store_url.startswith("redis://")
    monkeypatch.setenv("BOT_PROFILE", "local")
    assert settings_module.load().tracker_db_url.startswith("sqlite:///")
