"""Settings and throw-away stores for a benchmark run of the assistant.

Every run gets its own state directory, loopback ports and (with PostgreSQL) a fresh
database that is dropped afterwards, so a benchmark never touches ``var/tracker.db``,
the audit record of ``make run`` or another engineer's test databases.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

from bot import settings as settings_module
from bot.settings import Settings

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
# Redis database index for benchmark lock stores (0 is left to others; tests use 15).
REDIS_DB = 7


def free_ports(count: int = 1) -> int:
    """First of ``count`` consecutive free loopback ports."""
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


def bench_settings(
    state_dir: Path, replicas: int = 1, postgres_db: str | None = None
) -> Settings:
    """Settings of an isolated stack: SQLite under ``state_dir`` (the local profile), or
    PostgreSQL ``postgres_db`` + Redis (the production profile)."""
    rasa_port = free_ports(replicas)
    action_port = free_ports()
    web_port = free_ports()
    if postgres_db:
        db_url = f"postgresql://postgres@127.0.0.1:5432/{postgres_db}"
        tracker_url = audit_url = db_url
        lock_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    else:
        tracker_url = f"sqlite:///{state_dir / 'tracker.db'}"
        audit_url = f"sqlite:///{state_dir / 'audit.db'}"
        lock_url = ""
    return dataclasses.replace(
        settings_module.load(),
        state_dir=state_dir,
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=web_port,
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}/webhook",
        tracker_db_url=tracker_url,
        audit_db_url=audit_url,
        lock_store_url=lock_url,
        telegram_token="",
        rasa_auth_token="",
    )


@contextlib.contextmanager
def postgres_database(prefix: str = "bench") -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; yields its name."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(**PG_ADMIN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        cursor = admin.cursor()
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
