"""PostgreSQL and Redis for the scale tests; each skips with a reason when not running."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_PORT = 6379


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture()
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards); yields its name."""
    if not _reachable(PG_PORT):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import psycopg2

    name = f"scale_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        admin.cursor().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture()
def redis_port() -> int:
    if not _reachable(REDIS_PORT):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return REDIS_PORT
