"""Before starting: are the configured stores reachable? Say clearly what is not.

Rasa would start anyway and fall back to memory (tracker store) or fail on the first
message (lock store); we would rather stop with a message that names the store, its
URL (without the password) and how to fix it.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from bot.settings import Settings

__all__ = ["problems"]

_DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "redis": 6379}


def _safe(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    host = parts.hostname or "localhost"
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    if port is None:
        return True
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def problems(settings: Settings) -> list[str]:
    found = []
    stores = [
        ("tracker store (TRACKER_DB_URL)", settings.tracker_db_url),
        ("audit log (AUDIT_DB_URL)", settings.audit_db_url),
        ("lock store (LOCK_STORE_URL)", settings.lock_store_url),
    ]
    for what, url in stores:
        if url and not url.startswith("sqlite") and not _reachable(url):
            found.append(f"{what} at {_safe(url)} is not reachable: start it or change the URL")
    return found
