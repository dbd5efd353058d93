"""Render Rasa's endpoints.yml and credentials.yml from the settings.

Rendered into the state directory at start-up rather than committed with placeholders,
so one place (bot/settings.py) decides every URL and database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.settings import Settings

__all__ = ["tracker_store_config", "endpoints", "write_rasa_files"]


def tracker_store_config(db_url: str) -> dict[str, Any]:
    """The project's SQL tracker store, which never falls back to memory silently."""
    return {"type": "bot.scale.tracker_store.ResilientSQLTrackerStore", "url": db_url}


def endpoints(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "action_endpoint": {"url": settings.action_url},
        "tracker_store": tracker_store_config(settings.tracker_db_url),
        # Every user message and bot reply goes to the clinician audit record
        # (spooled on local disk first, so a database outage loses nothing).
        "event_broker": {"type": "bot.audit.broker.AuditEventBroker", "url": settings.audit_db_url},
    }
    if settings.lock_store_url:
        # Several replicas share a Redis lock store with atomic tickets (Rasa's own
        # RedisLockStore issues them with a non-atomic read-modify-write).
        lock = urlsplit(settings.lock_store_url)
        config["lock_store"] = {
            "type": "bot.scale.lock_store.AtomicRedisLockStore",
            "host": lock.hostname or "localhost",
            "port": lock.port or 6379,
            "db": int(lock.path.lstrip("/") or 0),
        }
        if lock.password:
            config["lock_store"]["password"] = lock.password
    return config


def write_rasa_files(settings: Settings) -> tuple[Path, Path]:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    endpoints_file = settings.state_dir / "endpoints.yml"
    credentials_file = settings.state_dir / "credentials.yml"
    endpoints_file.write_text(yaml.safe_dump(endpoints(settings), sort_keys=False), encoding="utf-8")
    # The REST channel (Telegram and the web widget are our own bridges that call it)
    # and the health report at /webhooks/health/.
    credentials = {"rest": None, "bot.rasa_health.HealthInput": None}
    credentials_file.write_text(yaml.safe_dump(credentials), encoding="utf-8")
    return endpoints_file, credentials_file
