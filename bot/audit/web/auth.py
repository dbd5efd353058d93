"""Sign-in for the clinician pages: server-side sessions, CSRF, login rate limit.

* Sessions live in the database (``audit_web_session``); the cookie carries a random
  token and the table only its SHA-256, so a leaked database does not leak sessions.
  Cookie: HttpOnly, SameSite=Strict, Path=/audit/, Secure when the request came over
  https (directly or via X-Forwarded-Proto from the proxy).
* Idle logout: a session unused for ``AUDIT_IDLE_MINUTES`` (default 15) is deleted on
  its next use; pages also refresh themselves to the sign-in page when it runs out, so
  patient text does not stay on an unattended screen. Absolute limit: 12 hours.
* CSRF: every POST carries the session's token (login: a double-submit cookie), and a
  cross-site Origin or Sec-Fetch-Site is refused outright.
* Rate limit: failed sign-ins per address+name and per address, in this process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from aiohttp import web

from bot.audit import models
from bot.audit.records import now_us
from bot.audit.store import AuditStore

__all__ = [
    "SESSION_COOKIE",
    "LOGIN_CSRF_COOKIE",
    "Session",
    "LoginLimiter",
    "create_session",
    "load_session",
    "delete_session",
    "set_cookie",
    "is_secure",
    "check_origin",
    "csrf_ok",
    "safe_next",
    "ABSOLUTE_LIMIT_US",
]

SESSION_COOKIE = "audit_session"
LOGIN_CSRF_COOKIE = "audit_login_csrf"
COOKIE_PATH = "/audit/"
ABSOLUTE_LIMIT_US = 12 * 3600 * 1_000_000
_TOUCH_EVERY_US = 15 * 1_000_000  # do not write last_seen on every request


@dataclass(frozen=True)
class Session:
    token_hash: str
    username: str
    role: str
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(store: AuditStore, username: str, address: str | None) -> tuple[str, str]:
    """A new session (fresh token: no fixation); returns (cookie token, csrf token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = now_us()
    with store.write() as conn:
        conn.execute(
            sa.insert(models.web_session).values(
                token_hash=_hash(token),
                username=username,
                csrf_token=csrf,
                created_us=now,
                last_seen_us=now,
                address=(address or "")[:64],
            )
        )
    return token, csrf


def load_session(
    store: AuditStore, token: str | None, idle_minutes: int
) -> tuple[Session | None, bool]:
    """(session, expired_now): the live session for a cookie token, touching it."""
    if not token or len(token) > 128:
        return None, False
    th = _hash(token)
    s, u = models.web_session, models.user
    now = now_us()
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(
                s.c.username,
                s.c.csrf_token,
                s.c.created_us,
                s.c.last_seen_us,
                u.c.role,
                u.c.disabled,
            )
            .select_from(s.join(u, s.c.username == u.c.username))
            .where(s.c.token_hash == th)
        ).first()
    if row is None:
        return None, False
    idle_us = max(1, idle_minutes) * 60 * 1_000_000
    if row.disabled or now - row.last_seen_us > idle_us or now - row.created_us > ABSOLUTE_LIMIT_US:
        delete_session(store, token)
        return None, True
    if now - row.last_seen_us > _TOUCH_EVERY_US:
        with store.write() as conn:
            conn.execute(sa.update(s).where(s.c.token_hash == th).values(last_seen_us=now))
    return Session(th, row.username, row.role, row.csrf_token), False


def delete_session(store: AuditStore, token: str) -> None:
    with store.write() as conn:
        conn.execute(
            sa.delete(models.web_session).where(models.web_session.c.token_hash == _hash(token))
        )


def is_secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=is_secure(request)
    )


def check_origin(request: web.Request) -> str | None:
    """Why a state-changing request must be refused as cross-site, or None."""
    site = request.headers.get("Sec-Fetch-Site")
    if site and site not in ("same-origin", "none"):
        return f"cross-site request ({site})"
    origin = request.headers.get("Origin")
    # "null" is what browsers send under some referrer policies and privacy settings;
    # the CSRF token still has to match, so it is not refused by itself.
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        return "request from another origin"
    return None


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def safe_next(value: str | None) -> str:
    """Only our own pages: no open redirect."""
    default = "/audit/conversations"
    if (
        not value
        or not value.startswith("/audit/")
        or value.startswith("//")
        or "\\" in value
        or "\n" in value
        or "\r" in value
    ):
        return default
    parts = urlsplit(value)
    if (
        parts.scheme
        or parts.netloc
        or "/../" in parts.path
        or parts.path.startswith("/audit/login")
    ):
        return default
    return value


class LoginLimiter:
    """Failed sign-ins in a sliding window, per address+name and per address."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window_s: float = 900.0) -> None:
        self.per_user, self.per_address, self.window = per_user, per_address, window_s
        self._fails: dict[Any, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: Any, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, address: str, username: str) -> float:
        """Seconds until another try is allowed (0 = allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in (((address, username), self.per_user), (address, self.per_address)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(self.window - (now - q[0]))
            return max(waits, default=0.0)

    def failed(self, address: str, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent((address, username), now).append(now)
            self._recent(address, now).append(now)
            if len(self._fails) > 10_000:  # bounded memory under a spray of names
                for key in [
                    k for k, q in self._fails.items() if not q or now - q[-1] > self.window
                ]:
                    del self._fails[key]

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._fails.pop((address, username), None)
