"""Server-issued conversation ids, carried in a signed cookie.

The browser never chooses the Rasa sender id: the server makes a random id, signs it
with HMAC-SHA256 under the web secret, and puts ``<id>.<signature>`` in an HttpOnly,
SameSite=Strict cookie. A cookie whose signature does not verify is ignored (a new
conversation starts), so guessing or editing an id gets nobody into another patient's
conversation.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets

from bot.settings import Settings

__all__ = ["new_conversation_id", "sign", "verify", "load_secret", "COOKIE_NAME"]

logger = logging.getLogger(__name__)

COOKIE_NAME = "mlw_conversation"
_VERSION = "v1"  # lets a future format change reject old cookies cleanly
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SECRET_FILE = "web_secret"


def new_conversation_id() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits, 24 URL-safe characters


def _mac(secret: bytes, conversation_id: str) -> str:
    digest = hmac.new(secret, f"{_VERSION}:{conversation_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(secret: bytes, conversation_id: str) -> str:
    return f"{_VERSION}.{conversation_id}.{_mac(secret, conversation_id)}"


def verify(secret: bytes, cookie: str | None) -> str | None:
    """The conversation id in a cookie we issued, else None."""
    if not cookie or len(cookie) > 200:
        return None
    parts = cookie.split(".")
    if len(parts) != 3 or parts[0] != _VERSION or not _ID.match(parts[1]):
        return None
    if not hmac.compare_digest(parts[2], _mac(secret, parts[1])):
        return None
    return parts[1]


def load_secret(settings: Settings) -> bytes:
    """``WEB_SECRET``; without it a random secret kept in ``<state_dir>/web_secret``.

    Kept in a file (owner-only) rather than made afresh each start so that patients'
    conversations survive a restart of ``make run``. The value is never logged.
    """
    if settings.web_secret:
        return settings.web_secret.encode("utf-8")
    path = settings.state_dir / _SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        stored = path.read_text(encoding="ascii").strip()
        if len(stored) >= 32:
            logger.warning(
                "WEB_SECRET is not set: signing widget cookies with the generated secret in %s",
                path,
            )
            return stored.encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    logger.warning(
        "WEB_SECRET is not set: generated a random secret for widget cookies and kept it in %s "
        "(set WEB_SECRET in production)",
        path,
    )
    return value.encode("ascii")
