"""Keys and authenticated encryption for the audit store.

Message text is health data, so it is stored encrypted with a data key of its own per
subject (patient). Data keys are wrapped by a master key that never enters the
database: ``AUDIT_MASTER_KEY`` from the environment, else a key file created under
the state directory (0600, with a warning, because a key next to the data protects
only against someone who gets the database without the file).

Erasing a person destroys their wrapped data key ("crypto-shredding"): their
ciphertext, in this database or in its backups, can no longer be read, while the hash
chain, which commits to hashes of the ciphertext, stays verifiable.

Every key is 32 bytes for AES-256-GCM. The master key is never used directly: HKDF
derives one sub-key per purpose, so a leak of, say, the spool key does not expose
the wrapped data keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KeyError_",
    "MasterKey",
    "load_master_key",
    "new_data_key",
    "encrypt",
    "decrypt",
    "KEY_FILE_NAME",
]

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "audit-master.key"
_NONCE = 12
_WARNED: set[str] = set()  # warn once per process about a key file, not on every open
_VERSION = b"\x01"  # first byte of every ciphertext, so the format can change later


class KeyError_(Exception):  # noqa: N801 - not the builtin KeyError
    """A key is missing, malformed, or does not match the data it should open."""


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"bot.audit {purpose} v1".encode()
    ).derive(master)


@dataclass(frozen=True)
class MasterKey:
    """The master key and the purpose keys derived from it."""

    raw: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        """Short public fingerprint, stored beside wrapped keys to detect a wrong master key."""
        return hashlib.sha256(b"bot.audit key id\n" + self.raw).hexdigest()[:16]

    @cached_property
    def wrap_key(self) -> bytes:
        return _derive(self.raw, "wrap")

    @cached_property
    def spool_key(self) -> bytes:
        return _derive(self.raw, "spool")

    @cached_property
    def _tombstone_key(self) -> bytes:
        return _derive(self.raw, "tombstone")

    def tombstone_hmac(self, sender_id: str) -> str:
        """Keyed hash of a sender id: lets us recognise an erased sender without storing them."""
        return hmac.new(self._tombstone_key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def wrap(self, data_key: bytes, subject_id: str) -> bytes:
        return encrypt(self.wrap_key, data_key, aad=b"wrap:" + subject_id.encode())

    def unwrap(self, wrapped: bytes, subject_id: str) -> bytes:
        try:
            return decrypt(self.wrap_key, wrapped, aad=b"wrap:" + subject_id.encode())
        except KeyError_ as exc:
            raise KeyError_(
                f"cannot unwrap the data key of subject {subject_id}: wrong AUDIT_MASTER_KEY "
                "or altered key"
            ) from exc


def _parse_key(text: str, where: str) -> bytes:
    text = text.strip()
    raw: bytes | None = None
    if len(text) == 64:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None and re.fullmatch(r"[A-Za-z0-9+/_-]+=*", text):
        try:
            padded = text.rstrip("=").replace("+", "-").replace("/", "_")
            raw = base64.urlsafe_b64decode(padded + "=" * (-len(padded) % 4))
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != 32:
        raise KeyError_(
            f"{where} must be 32 random bytes as base64 or 64 hex digits "
            "(make one with: python -c 'import secrets,base64;print(base64.b64encode(secrets.token_bytes(32)).decode())')"
        )
    return raw


def load_master_key(env_value: str, state_dir: Path, *, create: bool = True) -> MasterKey:
    """The master key from ``AUDIT_MASTER_KEY`` or the key file, creating the file if allowed."""
    if env_value:
        return MasterKey(_parse_key(env_value, "AUDIT_MASTER_KEY"))
    path = Path(state_dir) / KEY_FILE_NAME
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            logger.warning(
                "audit: key file %s is readable by others (mode %o); chmod 600 it", path, mode
            )
        if str(path) not in _WARNED:
            _WARNED.add(str(path))
            logger.warning(
                "audit: using the master key file %s; set AUDIT_MASTER_KEY from a secret store in production",
                path,
            )
        return MasterKey(_parse_key(path.read_text(encoding="ascii"), str(path)))
    if not create:
        raise KeyError_(f"no AUDIT_MASTER_KEY and no key file at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use theirs
        return load_master_key(env_value, state_dir, create=False)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(base64.b64encode(raw).decode("ascii") + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    logger.warning(
        "audit: created a new master key file %s (0600). Back it up: without it the stored "
        "conversations cannot be read. Prefer AUDIT_MASTER_KEY from a secret store.",
        path,
    )
    return MasterKey(raw)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encrypt(key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt(key: bytes, blob: bytes, *, aad: bytes) -> bytes:
    if len(blob) < 1 + _NONCE + 16 or blob[:1] != _VERSION:
        raise KeyError_("ciphertext is malformed")
    nonce = blob[1 : 1 + _NONCE]
    try:
        return AESGCM(key).decrypt(nonce, blob[1 + _NONCE :], aad)
    except InvalidTag as exc:
        raise KeyError_("ciphertext does not authenticate (wrong key or altered data)") from exc
