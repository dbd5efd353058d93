"""Table definitions of the audit store (SQLAlchemy Core).

Every table is prefixed ``audit_`` so the store can share a database with Rasa's
tracker store. The schema itself is created and upgraded by Alembic
(``bot/audit/migrations``); these definitions are what the code queries with and
must match the newest migration (a test compares them).

Three kinds of table:

* the two hash chains, ``audit_record`` (what patients and the assistant said, and
  what clinicians did about it) and ``audit_access`` (who looked at what), plus
  ``audit_chain_head`` which pins the newest link of each chain and doubles as the
  writers' lock row;
* state derived from the chains, kept so pages are fast: ``audit_conversation`` and
  ``audit_safety_event`` (``audit verify`` recomputes them and reports any drift);
* operational tables that are not evidence: subjects (sender id, salt and wrapped
  data key: what erasure destroys), tombstones, clinician users and web sessions.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "metadata",
    "record",
    "access",
    "chain_head",
    "subject",
    "tombstone",
    "conversation",
    "safety_event",
    "user",
    "web_session",
    "LEVELS",
    "level_rank",
]

# Severity order of the safety verdict levels (contracts: none < support < crisis < emergency).
LEVELS = ("none", "support", "crisis", "emergency")


def level_rank(level: str | None) -> int:
    """Rank of a level for "highest level" sums; -1 for missing or unknown (unscreened)."""
    try:
        return LEVELS.index(level or "")
    except ValueError:
        return -1


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One row per chain link. Every column except ``ciphertext`` is covered by
# ``record_hash`` directly; ``ciphertext`` is covered through ``payload_hash`` so it can
# be destroyed (erasure, retention) without breaking the chain.
record = Table(
    "audit_record",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("uuid", String(32), nullable=False, unique=True),
    Column("kind", String(24), nullable=False),
    Column("subject_id", String(32), nullable=True, index=True),
    Column("sender_digest", String(64), nullable=True),
    Column("event_us", BigInteger, nullable=False, index=True),
    Column("recorded_us", BigInteger, nullable=False),
    Column("channel", String(32), nullable=True),
    Column("locale", String(35), nullable=True),
    Column("lang", String(16), nullable=True),
    Column("region", String(16), nullable=True),
    Column("level", String(16), nullable=True),
    Column("reasons", Text, nullable=True),  # canonical JSON, without the matched text
    Column("detector_version", String(64), nullable=True),
    Column("helplines", Text, nullable=True),  # canonical JSON list of helpline ids
    Column("message_id", String(128), nullable=True),
    Column("utter_action", String(128), nullable=True),
    Column("latency_ms", Integer, nullable=True),
    Column("retention_class", String(16), nullable=False),
    Column("actor", String(128), nullable=True),
    Column("detail", Text, nullable=True),  # canonical JSON, never health data
    Column("payload_hash", String(64), nullable=True),
    Column("ciphertext", LargeBinary, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("record_hash", String(64), nullable=False),
)
Index("ix_audit_record_subject_seq", record.c.subject_id, record.c.seq)

# FHIR AuditEvent-shaped access log (who did what to which entity, when, with which
# outcome). Its own chain, so a busy access log never contends with patient records.
access = Table(
    "audit_access",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("uuid", String(32), nullable=False, unique=True),
    Column("recorded_us", BigInteger, nullable=False, index=True),
    Column("type_code", String(16), nullable=False),  # DICOM audit event id, e.g. 110110
    Column("subtype", String(32), nullable=False),  # search, read, reveal, export, login, ...
    Column("action", String(1), nullable=False),  # FHIR: C R U D E
    Column("outcome", Integer, nullable=False),  # FHIR: 0 success, 4 minor, 8 serious, 12 major
    Column("agent_who", String(128), nullable=False),
    Column("agent_role", String(32), nullable=True),
    Column("agent_address", String(64), nullable=True),
    Column("source", String(128), nullable=False),
    Column("entity_what", String(256), nullable=True),
    Column("entity_query", Text, nullable=True),  # canonical JSON of filters, redacted
    Column("detail", Text, nullable=True),  # canonical JSON (reason given, counts, ...)
    Column("prev_hash", String(64), nullable=False),
    Column("record_hash", String(64), nullable=False),
)

# The newest link of each chain ("record", "access"). Appenders lock this row, so it
# serialises writers across processes and hosts; ``anchor_*`` is where the chain
# starts after retention removed its oldest rows (access log only).
chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("chain", String(16), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("anchor_seq", BigInteger, nullable=False),
    Column("anchor_hash", String(64), nullable=False),
)

# A patient as the audit knows them. ``subject_id`` is random; only this row links it to
# the sender id. Erasure clears sender_id, salt and the wrapped key.
subject = Table(
    "audit_subject",
    metadata,
    Column("subject_id", String(32), primary_key=True),
    Column("sender_id", String(255), nullable=True, unique=True),
    Column("sender_salt", LargeBinary, nullable=True),
    Column("sender_digest", String(64), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("master_key_id", String(32), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("erased_us", BigInteger, nullable=True),
)

# Senders erased so far, as a keyed hash: spooled events older than the erasure that
# reach the database later are dropped instead of re-creating the person.
tombstone = Table(
    "audit_tombstone",
    metadata,
    Column("sender_hmac", String(64), primary_key=True),
    Column("erased_us", BigInteger, nullable=False),
)

conversation = Table(
    "audit_conversation",
    metadata,
    Column("subject_id", String(32), primary_key=True),
    Column("channel", String(32), nullable=True, index=True),
    Column("first_us", BigInteger, nullable=True),
    Column("last_us", BigInteger, nullable=True, index=True),
    Column("n_messages", Integer, nullable=False),
    Column("max_level", Integer, nullable=False, index=True),  # level_rank; -1 = none screened
    Column("status", String(16), nullable=False, index=True),
    Column("legal_hold", Boolean, nullable=False),
    Column("erased", Boolean, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
)

safety_event = Table(
    "audit_safety_event",
    metadata,
    Column("record_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("subject_id", String(32), nullable=False, index=True),
    Column("event_us", BigInteger, nullable=False, index=True),
    Column("level", String(16), nullable=False),
    Column("channel", String(32), nullable=True),
    Column("confirmation", String(16), nullable=True),  # None, "confirmed", "false_alarm"
    Column("confirmed_by", String(128), nullable=True),
    Column("confirmed_us", BigInteger, nullable=True),
)

user = Table(
    "audit_user",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("last_login_us", BigInteger, nullable=True),
)

# Server-side web sessions; the cookie holds a random token, the table only its hash.
web_session = Table(
    "audit_web_session",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("last_seen_us", BigInteger, nullable=False),
    Column("address", String(64), nullable=True),
)
