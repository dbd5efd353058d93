"""Initial audit schema: the two chains, their heads, subjects, derived tables, users, sessions.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 10:22:33.832242
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_access",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("uuid", sa.String(length=32), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("type_code", sa.String(length=16), nullable=False),
        sa.Column("subtype", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=1), nullable=False),
        sa.Column("outcome", sa.Integer(), nullable=False),
        sa.Column("agent_who", sa.String(length=128), nullable=False),
        sa.Column("agent_role", sa.String(length=32), nullable=True),
        sa.Column("agent_address", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("entity_what", sa.String(length=256), nullable=True),
        sa.Column("entity_query", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_access")),
        sa.UniqueConstraint("uuid", name=op.f("uq_audit_access_uuid")),
    )
    op.create_index(
        op.f("ix_audit_access_recorded_us"), "audit_access", ["recorded_us"], unique=False
    )

    op.create_table(
        "audit_chain_head",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_conversation",
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("first_us", sa.BigInteger(), nullable=True),
        sa.Column("last_us", sa.BigInteger(), nullable=True),
        sa.Column("n_messages", sa.Integer(), nullable=False),
        sa.Column("max_level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_audit_conversation")),
    )
    op.create_index(
        op.f("ix_audit_conversation_channel"), "audit_conversation", ["channel"], unique=False
    )
    op.create_index(
        op.f("ix_audit_conversation_last_us"), "audit_conversation", ["last_us"], unique=False
    )
    op.create_index(
        op.f("ix_audit_conversation_max_level"), "audit_conversation", ["max_level"], unique=False
    )
    op.create_index(
        op.f("ix_audit_conversation_status"), "audit_conversation", ["status"], unique=False
    )

    op.create_table(
        "audit_record",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("uuid", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("sender_digest", sa.String(length=64), nullable=True),
        sa.Column("event_us", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("lang", sa.String(length=16), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("detector_version", sa.String(length=64), nullable=True),
        sa.Column("helplines", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("utter_action", sa.String(length=128), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("retention_class", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_record")),
        sa.UniqueConstraint("uuid", name=op.f("uq_audit_record_uuid")),
    )
    op.create_index(op.f("ix_audit_record_event_us"), "audit_record", ["event_us"], unique=False)
    op.create_index(
        "ix_audit_record_subject_seq", "audit_record", ["subject_id", "seq"], unique=False
    )
    op.create_index(
        op.f("ix_audit_record_subject_id"), "audit_record", ["subject_id"], unique=False
    )

    op.create_table(
        "audit_safety_event",
        sa.Column("record_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("event_us", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("confirmation", sa.String(length=16), nullable=True),
        sa.Column("confirmed_by", sa.String(length=128), nullable=True),
        sa.Column("confirmed_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("record_seq", name=op.f("pk_audit_safety_event")),
    )
    op.create_index(
        op.f("ix_audit_safety_event_event_us"), "audit_safety_event", ["event_us"], unique=False
    )
    op.create_index(
        op.f("ix_audit_safety_event_subject_id"), "audit_safety_event", ["subject_id"], unique=False
    )

    op.create_table(
        "audit_subject",
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=True),
        sa.Column("sender_salt", sa.LargeBinary(), nullable=True),
        sa.Column("sender_digest", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("erased_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_audit_subject")),
        sa.UniqueConstraint("sender_id", name=op.f("uq_audit_subject_sender_id")),
    )
    op.create_table(
        "audit_tombstone",
        sa.Column("sender_hmac", sa.String(length=64), nullable=False),
        sa.Column("erased_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sender_hmac", name=op.f("pk_audit_tombstone")),
    )
    op.create_table(
        "audit_user",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("last_login_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_audit_user")),
    )
    op.create_table(
        "audit_web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_audit_web_session")),
    )
    heads = sa.table(
        "audit_chain_head",
        sa.column("chain", sa.String),
        sa.column("seq", sa.BigInteger),
        sa.column("hash", sa.String),
        sa.column("anchor_seq", sa.BigInteger),
        sa.column("anchor_hash", sa.String),
    )
    genesis = "0" * 64  # bot.audit.chain.GENESIS, spelled out: migrations must not change
    op.bulk_insert(
        heads,
        [
            {"chain": name, "seq": 0, "hash": genesis, "anchor_seq": 0, "anchor_hash": genesis}
            for name in ("record", "access")
        ],
    )


def downgrade() -> None:
    op.drop_table("audit_web_session")
    op.drop_table("audit_user")
    op.drop_table("audit_tombstone")
    op.drop_table("audit_subject")
    op.drop_index(op.f("ix_audit_safety_event_subject_id"), table_name="audit_safety_event")
    op.drop_index(op.f("ix_audit_safety_event_event_us"), table_name="audit_safety_event")

    op.drop_table("audit_safety_event")
    op.drop_index(op.f("ix_audit_record_subject_id"), table_name="audit_record")
    op.drop_index(op.f("ix_audit_record_event_us"), table_name="audit_record")
    op.drop_index("ix_audit_record_subject_seq", table_name="audit_record")

    op.drop_table("audit_record")
    op.drop_index(op.f("ix_audit_conversation_status"), table_name="audit_conversation")
    op.drop_index(op.f("ix_audit_conversation_max_level"), table_name="audit_conversation")
    op.drop_index(op.f("ix_audit_conversation_last_us"), table_name="audit_conversation")
    op.drop_index(op.f("ix_audit_conversation_channel"), table_name="audit_conversation")

    op.drop_table("audit_conversation")
    op.drop_table("audit_chain_head")
    op.drop_index(op.f("ix_audit_access_recorded_us"), table_name="audit_access")

    op.drop_table("audit_access")
