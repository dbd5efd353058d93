"""Settings and throw-away stores for a benchmark run of the assistant.

Every run gets its own state directory, loopback ports and (with PostgreSQL) a fresh
database that is dropped afterwards, so a benchmark never touches ``var/tracker.db``,
the audit record of ``make run`` or another engineer's test databases.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from bot.loopback import isolated_settings
from bot.settings import Settings

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
# Redis database index for benchmark lock stores (0 is left to others; tests use 15).
REDIS_DB = 7


def bench_settings(
    state_dir: Path, replicas: int = 1, postgres_db: str | None = None
) -> Settings:
    """Settings of an isolated stack: SQLite under ``state_dir`` (the local profile), or
    PostgreSQL ``postgres_db`` + Redis (the production profile)."""
    if not postgres_db:
        return isolated_settings(state_dir, replicas)
    db_url = f"postgresql://postgres@127.0.0.1:5432/{postgres_db}"
    return isolated_settings(
        state_dir, replicas, tracker_db_url=db_url, audit_db_url=db_url,
        lock_store_url=f"redis://127.0.0.1:6379/{REDIS_DB}",
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
