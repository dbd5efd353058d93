"""Clinician accounts: argon2id password hashes and three roles.

clinician       view, review, add notes, export redacted
safety_officer  + confirm or dismiss safety events, reveal unredacted text with a reason
admin           + manage users, legal holds, retention purge
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.audit import access_log, models
from bot.audit.records import now_us
from bot.audit.store import AuditStore

__all__ = [
    "ROLES",
    "User",
    "UserError",
    "has_role",
    "add_user",
    "list_users",
    "set_disabled",
    "set_password",
    "authenticate",
    "get_user",
    "MIN_PASSWORD",
]

ROLES = ("clinician", "safety_officer", "admin")
MIN_PASSWORD = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 "low memory" profile)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified when the user does not exist, so a wrong name costs as long as a wrong password."""
    return _hasher.hash(secrets.token_hex(16))


class UserError(ValueError):
    """Bad input for a user operation (clear message for the person at the keyboard)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    disabled: bool
    created_us: int
    last_login_us: int | None


def has_role(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def _check_name(username: str) -> str:
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise UserError(
            "user names are 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def _check_password(password: str, username: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"passwords need at least {MIN_PASSWORD} characters")
    if username in password.lower():
        raise UserError("the password must not contain the user name")


def _row_to_user(row: Any) -> User:
    return User(row.username, row.role, bool(row.disabled), int(row.created_us), row.last_login_us)


def get_user(store: AuditStore, username: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(models.user).where(models.user.c.username == username.strip().lower())
        ).first()
    return _row_to_user(row) if row else None


def add_user(
    store: AuditStore,
    username: str,
    password: str,
    role: str,
    *,
    actor: str,
    source: str,
    address: str | None = None,
) -> User:
    name = _check_name(username)
    if role not in ROLES:
        raise UserError(f"role must be one of: {', '.join(ROLES)}")
    _check_password(password, name)
    hashed = _hasher.hash(password)
    with store.write() as conn:
        exists = conn.execute(
            sa.select(models.user.c.username).where(models.user.c.username == name)
        ).first()
        if exists:
            raise UserError(f"user {name!r} already exists")
        created = now_us()
        conn.execute(
            sa.insert(models.user).values(
                username=name,
                password_hash=hashed,
                role=role,
                disabled=False,
                created_us=created,
                last_login_us=None,
            )
        )
        store.log_access_in(
            conn,
            [
                access_log.make(
                    "users",
                    "user-add",
                    "C",
                    who=actor,
                    source=source,
                    address=address,
                    what=f"User/{name}",
                    detail={"role": role},
                )
            ],
        )
    return User(name, role, False, created, None)


def list_users(store: AuditStore) -> list[User]:
    with store.engine.connect() as conn:
        return [
            _row_to_user(r)
            for r in conn.execute(sa.select(models.user).order_by(models.user.c.username))
        ]


def set_disabled(
    store: AuditStore,
    username: str,
    disabled: bool,
    *,
    actor: str,
    source: str,
    address: str | None = None,
) -> None:
    name = _check_name(username)
    with store.write() as conn:
        done = conn.execute(
            sa.update(models.user).where(models.user.c.username == name).values(disabled=disabled)
        )
        if done.rowcount == 0:
            raise UserError(f"no user {name!r}")
        if disabled:  # sign them out everywhere, now
            conn.execute(sa.delete(models.web_session).where(models.web_session.c.username == name))
        store.log_access_in(
            conn,
            [
                access_log.make(
                    "users",
                    "user-disable" if disabled else "user-enable",
                    "U",
                    who=actor,
                    source=source,
                    address=address,
                    what=f"User/{name}",
                )
            ],
        )


def set_password(
    store: AuditStore, username: str, password: str, *, actor: str, source: str
) -> None:
    name = _check_name(username)
    _check_password(password, name)
    hashed = _hasher.hash(password)
    with store.write() as conn:
        done = conn.execute(
            sa.update(models.user)
            .where(models.user.c.username == name)
            .values(password_hash=hashed)
        )
        if done.rowcount == 0:
            raise UserError(f"no user {name!r}")
        conn.execute(sa.delete(models.web_session).where(models.web_session.c.username == name))
        store.log_access_in(
            conn,
            [
                access_log.make(
                    "users", "password-set", "U", who=actor, source=source, what=f"User/{name}"
                )
            ],
        )


def authenticate(store: AuditStore, username: str, password: str) -> User | None:
    """The user if the name and password match an enabled account; slow on purpose (argon2)."""
    name = (username or "").strip().lower()
    with store.engine.connect() as conn:
        row = (
            conn.execute(sa.select(models.user).where(models.user.c.username == name)).first()
            if _USERNAME.match(name)
            else None
        )
    stored = row.password_hash if row is not None else _dummy_hash()
    try:
        _hasher.verify(stored, password or "")
        matched = row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if not matched or row is None or row.disabled:
        return None
    values: dict[str, Any] = {"last_login_us": now_us()}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    with store.write() as conn:
        conn.execute(sa.update(models.user).where(models.user.c.username == name).values(**values))
    return _row_to_user(row)
