"""An isolated stack on loopback: free ports and the settings that point at them.

Shared by the test suite (tests/conftest.py) and the benchmarks (bench/_stack.py): each
starts real servers through the same supervisor as ``make run``, on ports nobody else
holds and with its own state directory, so a run never touches ``var/`` of ``make run``.
"""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

from bot import settings as settings_module
from bot.settings import Settings

__all__ = ["free_port_block", "isolated_settings"]


def free_port_block(count: int = 1) -> int:
    """First of ``count`` consecutive free loopback ports (``--replicas`` needs a block)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count >= 65535:
            continue
        held: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
        return base
    raise RuntimeError("no free block of loopback ports")


def isolated_settings(
    state_dir: Path,
    replicas: int = 1,
    tracker_db_url: str | None = None,
    audit_db_url: str | None = None,
    lock_store_url: str = "",
) -> Settings:
    """Settings for a stack of its own: free ports, databases under ``state_dir`` (SQLite)
    unless URLs are given, no Telegram, no HTTP API token."""
    rasa_port = free_port_block(replicas)
    action_port = free_port_block()
    web_port = free_port_block()
    return dataclasses.replace(
        settings_module.load(),
        state_dir=state_dir,
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=web_port,
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}/webhook",
        tracker_db_url=tracker_db_url or f"sqlite:///{state_dir / 'tracker.db'}",
        audit_db_url=audit_db_url or f"sqlite:///{state_dir / 'audit.db'}",
        lock_store_url=lock_store_url,
        telegram_token="",
        rasa_auth_token="",
    )
