"""The hash chains: how a link is hashed and how appenders take their turn.

A link's hash covers the previous link's hash and every field of the row (as
canonical JSON), except the ciphertext, which is covered through its SHA-256
(``payload_hash``). So:

* changing any field of a row changes its hash (caught by ``audit verify``);
* inserting or deleting a row breaks the ``prev_hash`` of the next one or leaves a gap
  in ``seq``, and ``audit_chain_head`` pins the newest link so truncating the tail is
  caught too;
* destroying a ciphertext (erasure, retention) leaves the chain intact, and verify
  accepts a missing ciphertext only where a later erasure or purge record explains it.

What a chain cannot prove on its own: that nobody with write access to the database
rebuilt it from some point on, recomputing every hash. Anchoring the head elsewhere
(``audit verify`` prints it; ``--expect SEQ:HASH`` checks an earlier one) closes that.

Appenders serialise on the chain's head row: ``SELECT ... FOR UPDATE`` on PostgreSQL
(every replica, every host), and ``BEGIN IMMEDIATE`` on SQLite (the store's engine
starts write transactions that way), which takes the database's write lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.audit import models

__all__ = [
    "GENESIS",
    "RECORD_FIELDS",
    "ACCESS_FIELDS",
    "canonical",
    "link_hash",
    "payload_hash",
    "lock_head",
    "set_head",
]

GENESIS = "0" * 64

RECORD_FIELDS = (
    "seq", "uuid", "kind", "subject_id", "sender_digest", "event_us", "recorded_us",
    "channel", "locale", "lang", "region", "level", "reasons", "detector_version",
    "helplines", "message_id", "utter_action", "latency_ms", "retention_class", "actor",
    "detail", "payload_hash",
)  # fmt: skip
ACCESS_FIELDS = (
    "seq", "uuid", "recorded_us", "type_code", "subtype", "action", "outcome", "agent_who",
    "agent_role", "agent_address", "source", "entity_what", "entity_query", "detail",
)  # fmt: skip
_FIELDS = {"record": RECORD_FIELDS, "access": ACCESS_FIELDS}


def canonical(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(chain: str, prev_hash: str, row: Mapping[str, Any]) -> str:
    fields = {name: row.get(name) for name in _FIELDS[chain]}
    for name, value in fields.items():
        # Booleans and floats have no place in a link: they round-trip differently
        # between databases. Fail loudly at write time rather than at verify time.
        if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
            raise TypeError(
                f"chain field {name} must be str, int or None, got {type(value).__name__}"
            )
    body = f"bot.audit/{chain}/v1\n{prev_hash}\n{canonical(fields)}"
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def payload_hash(ciphertext: bytes) -> str:
    return hashlib.sha256(ciphertext).hexdigest()


def lock_head(conn: Connection, chain: str) -> tuple[int, str]:
    """Take the chain's writer lock (until the transaction ends) and return its head."""
    head = models.chain_head
    query = sa.select(head.c.seq, head.c.hash).where(head.c.chain == chain)
    if conn.dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE already holds the lock
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise RuntimeError(
            f"audit chain head {chain!r} is missing: run `python -m bot audit migrate`"
        )
    return int(row.seq), str(row.hash)


def set_head(conn: Connection, chain: str, seq: int, hash_: str) -> None:
    head = models.chain_head
    conn.execute(sa.update(head).where(head.c.chain == chain).values(seq=seq, hash=hash_))
