"""What clinicians do with a conversation: review status, notes, safety confirmations, holds.

Each action is a record appended to the chain (notes and reasons encrypted with the
patient's data key, so erasure removes them too) and an entry in the access log,
written in one transaction. Role checks happen here as well as in the web layer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.audit import access_log, chain, derive, models
from bot.audit.records import NewRecord, now_us
from bot.audit.store import AuditStore
from bot.audit.users import has_role

__all__ = [
    "ReviewError",
    "change_status",
    "add_note",
    "confirm_safety_event",
    "set_legal_hold",
    "MAX_NOTE",
]

MAX_NOTE = 4000


class ReviewError(ValueError):
    """The action is not allowed or its input is wrong; the message says why."""


def _conversation(conn: Connection, subject_id: str) -> Any:
    row = conn.execute(
        sa.select(models.conversation).where(models.conversation.c.subject_id == subject_id)
    ).first()
    if row is None:
        raise ReviewError("no such conversation")
    return row


def _text(note: str | None, *, required: bool, what: str = "note") -> str | None:
    note = (note or "").strip()
    if not note:
        if required:
            raise ReviewError(f"the {what} is empty")
        return None
    if len(note) > MAX_NOTE:
        raise ReviewError(f"the {what} is longer than {MAX_NOTE} characters")
    return note


def _require(role: str, needed: str) -> None:
    if not has_role(role, needed):
        raise ReviewError(f"this needs the {needed.replace('_', ' ')} role")


def _append(
    store: AuditStore,
    conn: Connection,
    record: NewRecord,
    access: Any,
) -> int:
    seqs = store.append_in(conn, [record])
    store.log_access_in(conn, [access])
    return seqs[0]


def change_status(
    store: AuditStore,
    subject_id: str,
    to: str,
    *,
    actor: str,
    role: str,
    source: str,
    note: str | None = None,
    address: str | None = None,
) -> int:
    _require(role, "clinician")
    if to not in derive.STATUSES:
        raise ReviewError(f"status must be one of {', '.join(derive.STATUSES)}")
    note = _text(note, required=False)
    with store.write() as conn:
        chain.lock_head(conn, "record")
        conv = _conversation(conn, subject_id)
        if to not in derive.TRANSITIONS.get(conv.status, ()):
            raise ReviewError(f"a {conv.status} conversation cannot become {to}")
        if note and conv.erased:
            raise ReviewError("the patient's data was erased: notes can no longer be attached")
        record = NewRecord(
            kind="review",
            subject_id=subject_id,
            event_us=now_us(),
            actor=actor,
            detail={"from": conv.status, "to": to},
            payload={"note": note} if note else None,
            retention_class="note" if note else "system",
        )
        return _append(
            store,
            conn,
            record,
            access_log.make("read", "review", "U", who=actor, role=role, source=source, address=address,
                            what=f"Conversation/{subject_id}", detail={"from": conv.status, "to": to}),
        )  # fmt: skip


def add_note(
    store: AuditStore,
    subject_id: str,
    note: str,
    *,
    actor: str,
    role: str,
    source: str,
    address: str | None = None,
) -> int:
    _require(role, "clinician")
    text = _text(note, required=True)
    with store.write() as conn:
        chain.lock_head(conn, "record")
        conv = _conversation(conn, subject_id)
        if conv.erased:
            raise ReviewError("the patient's data was erased: notes can no longer be attached")
        record = NewRecord(
            kind="note",
            subject_id=subject_id,
            event_us=now_us(),
            actor=actor,
            payload={"note": text},
            retention_class="note",
        )
        return _append(
            store, conn, record,
            access_log.make("read", "note", "C", who=actor, role=role, source=source, address=address, what=f"Conversation/{subject_id}"),
        )  # fmt: skip


def confirm_safety_event(
    store: AuditStore,
    event_seq: int,
    verdict: str,
    *,
    actor: str,
    role: str,
    source: str,
    note: str | None = None,
    address: str | None = None,
) -> int:
    _require(role, "safety_officer")
    if verdict not in derive.CONFIRMATIONS:
        raise ReviewError("the verdict must be 'confirmed' (a true alarm) or 'false_alarm'")
    note = _text(note, required=False)
    with store.write() as conn:
        chain.lock_head(conn, "record")
        ev = conn.execute(
            sa.select(models.safety_event).where(models.safety_event.c.record_seq == int(event_seq))
        ).first()
        if ev is None:
            raise ReviewError("no such safety event")
        conv = _conversation(conn, ev.subject_id)
        if note and conv.erased:
            raise ReviewError("the patient's data was erased: notes can no longer be attached")
        record = NewRecord(
            kind="safety_review",
            subject_id=ev.subject_id,
            event_us=now_us(),
            actor=actor,
            detail={"event_seq": int(event_seq), "verdict": verdict, "previous": ev.confirmation},
            payload={"note": note} if note else None,
            retention_class="note" if note else "system",
        )
        return _append(
            store, conn, record,
            access_log.make("read", "safety-confirm", "U", who=actor, role=role, source=source, address=address,
                            what=f"AuditRecord/{int(event_seq)}", detail={"verdict": verdict}),
        )  # fmt: skip


def set_legal_hold(
    store: AuditStore,
    subject_id: str,
    hold: bool,
    reason: str,
    *,
    actor: str,
    role: str,
    source: str,
    address: str | None = None,
) -> int:
    _require(role, "admin")
    text = _text(reason, required=True, what="reason")
    with store.write() as conn:
        chain.lock_head(conn, "record")
        conv = _conversation(conn, subject_id)
        if bool(conv.legal_hold) == hold:
            raise ReviewError(
                "the conversation is already " + ("on hold" if hold else "not on hold")
            )
        if conv.erased:
            raise ReviewError("the patient's data was erased: there is nothing left to hold")
        record = NewRecord(
            kind="legal_hold", subject_id=subject_id, event_us=now_us(), actor=actor,
            detail={"hold": hold}, payload={"note": text}, retention_class="note",
        )  # fmt: skip
        return _append(
            store, conn, record,
            access_log.make("admin", "legal-hold" if hold else "legal-hold-release", "U", who=actor, role=role,
                            source=source, address=address, what=f"Conversation/{subject_id}"),
        )  # fmt: skip
