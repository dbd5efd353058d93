"""bot.loopback: the ports and settings every test stack and benchmark stack run on."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.loopback import free_port_block, isolated_settings


def test_a_free_block_of_consecutive_ports_can_be_bound() -> None:
    base = free_port_block(3)
    held = []
    try:
        for port in range(base, base + 3):
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", port))  # raises if any port of the block were taken
    finally:
        for s in held:
            s.close()


def test_isolated_settings_keep_everything_under_the_state_dir(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path, replicas=2)
    assert settings.state_dir == tmp_path
    assert settings.tracker_db_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert settings.audit_db_url == f"sqlite:///{tmp_path / 'audit.db'}"
    assert settings.rasa_url == f"http://127.0.0.1:{settings.rasa_port}"
    assert settings.telegram_token == "" and settings.rasa_auth_token == "" and settings.lock_store_url == ""


def test_isolated_settings_take_given_database_urls(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/x"
    settings = isolated_settings(tmp_path, tracker_db_url=url, audit_db_url=url, lock_store_url="redis://127.0.0.1:6379/7")
    assert settings.tracker_db_url == settings.audit_db_url == url
    assert settings.lock_store_url == "redis://127.0.0.1:6379/7"
