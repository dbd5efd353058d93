"""GDPR art. 17 erasure of one person: ``audit erase --sender ID`` and Telegram's /forget.

What goes: the text of everything they said and were told (their data key is
destroyed and the ciphertext deleted), the link from the conversation to their sender
id, clinicians' notes on it, and their rows in Rasa's tracker store.

What stays, de-identified: the chain itself and each message's safety metadata (time,
channel, level, which detector rule fired, helplines shown). Without text or sender id
this no longer identifies the person, and it is the clinic's record of how the safety
layer behaved (art. 17(3)(c) public health, 17(3)(e) legal claims; DCB0129 hazard log).

A conversation under legal hold is not erased (art. 17(3)(e)); the caller is told so.
The erasure is itself a record in the chain (and in the access log).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.audit import access_log, chain, models
from bot.audit.records import NewRecord, now_us
from bot.audit.redact import redact
from bot.audit.store import AuditStore, make_engine

__all__ = ["ErasureResult", "channel_erasers", "erase_sender", "erase_sender_with_settings"]


@dataclass
class ErasureResult:
    status: str  # "erased", "not_found" (nothing stored, tracker rows still removed), "held"
    sender_id: str
    subject_id: str | None = None
    records: int = 0
    tracker_rows: int = 0
    channel_copies: int = 0  # messages deleted from a channel's own copy (the web widget's)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _delete_tracker_rows(
    conn: Connection | None, tracker_db_url: str | None, sender_id: str, same_db: bool
) -> int:
    """Remove the sender's events from Rasa's SQL tracker store (table ``events``)."""
    if not tracker_db_url:
        return 0
    if same_db and conn is not None:
        return _delete_events(conn, sender_id)
    engine = (
        make_engine(tracker_db_url)
        if tracker_db_url.startswith("sqlite")
        else sa.create_engine(tracker_db_url, future=True)
    )
    try:
        with engine.begin() as tconn:
            return _delete_events(tconn, sender_id)
    finally:
        engine.dispose()


def _delete_events(conn: Connection, sender_id: str) -> int:
    if not sa.inspect(conn).has_table("events"):
        return 0
    events = sa.table("events", sa.column("sender_id"))
    return int(conn.execute(sa.delete(events).where(events.c.sender_id == sender_id)).rowcount or 0)


def _tombstone(conn: Connection, store: AuditStore, sender_id: str, when: int) -> None:
    t = models.tombstone
    key = store.master_key.tombstone_hmac(sender_id)
    if conn.execute(sa.select(t.c.sender_hmac).where(t.c.sender_hmac == key)).first():
        conn.execute(sa.update(t).where(t.c.sender_hmac == key).values(erased_us=when))
    else:
        conn.execute(sa.insert(t).values(sender_hmac=key, erased_us=when))


def erase_sender(
    store: AuditStore,
    sender_id: str,
    *,
    actor: str,
    source: str,
    via: str,
    reason: str | None = None,
    tracker_db_url: str | None = None,
    address: str | None = None,
    channel_erasers: Sequence[Callable[[str], int]] = (),
) -> ErasureResult:
    sender_id = (sender_id or "").strip()
    if not sender_id:
        raise ValueError("a sender id is needed")
    same_db = bool(tracker_db_url) and tracker_db_url == str(store.engine.url)
    when = now_us()
    result = ErasureResult(status="not_found", sender_id=sender_id)
    access_detail: dict[str, Any] = {"via": via}
    if reason:
        access_detail["reason"] = redact(reason)[:500]
    with store.write() as conn:
        chain.lock_head(conn, "record")  # no record of this sender slips in meanwhile
        subj = conn.execute(
            sa.select(models.subject.c.subject_id).where(models.subject.c.sender_id == sender_id)
        ).first()
        if subj is not None:
            result.subject_id = subj.subject_id
            held = conn.execute(
                sa.select(models.conversation.c.legal_hold).where(
                    models.conversation.c.subject_id == subj.subject_id
                )
            ).scalar()
            if held:
                result.status = "held"
                store.log_access_in(
                    conn,
                    [access_log.make("admin", "erase", "D", who=actor, source=source, address=address, outcome="minor",
                                     what=f"Conversation/{subj.subject_id}", detail={**access_detail, "refused": "legal hold"})],
                )  # fmt: skip
                return result
        # Rasa's copy first: if that fails, nothing here is committed and the caller retries.
        result.tracker_rows = _delete_tracker_rows(conn, tracker_db_url, sender_id, same_db)
        # Then the channels' own copies (the widget keeps one to show the history).
        result.channel_copies = sum(erase(sender_id) for erase in channel_erasers)
        _tombstone(conn, store, sender_id, when)
        if subj is not None:
            rec = models.record
            result.records = int(
                conn.execute(
                    sa.update(rec)
                    .where(rec.c.subject_id == subj.subject_id, rec.c.ciphertext.isnot(None))
                    .values(ciphertext=None)
                ).rowcount
                or 0
            )
            conn.execute(
                sa.update(models.subject)
                .where(models.subject.c.subject_id == subj.subject_id)
                .values(sender_id=None, sender_salt=None, wrapped_key=None, erased_us=when)
            )
            store.append_in(
                conn,
                [
                    NewRecord(
                        kind="erasure",
                        subject_id=subj.subject_id,
                        event_us=when,
                        actor=actor,
                        detail={
                            "via": via,
                            "records": result.records,
                            "tracker_rows": result.tracker_rows,
                        },
                    )
                ],
            )
            result.status = "erased"
        store.log_access_in(
            conn,
            [access_log.make("admin", "erase", "D", who=actor, source=source, address=address,
                             what=f"Conversation/{result.subject_id}" if result.subject_id else "Conversation/unknown",
                             detail={**access_detail, "status": result.status, "records": result.records, "tracker_rows": result.tracker_rows})],
        )  # fmt: skip
    if result.subject_id:
        store.forget_key(result.subject_id)
    return result


def channel_erasers(settings: Any) -> list[Callable[[str], int]]:
    """The erasers of every channel copy of a conversation, for ``erase_sender``."""

    def web_widget(sender_id: str) -> int:
        if not sender_id.startswith("web:"):
            return 0
        from bot.web.widget import erase_conversation

        return erase_conversation(sender_id, settings)

    return [web_widget]


def erase_sender_with_settings(
    sender_id: str, *, via: str, actor: str | None, settings: Any = None
) -> dict[str, Any]:
    """Open the store from settings, erase, close. For channel code such as Telegram's /forget.

    Blocking (database and argon2-free, but a few queries): call it through
    ``asyncio.to_thread`` from async code.
    """
    from bot import settings as settings_mod
    from bot.audit.store import open_store

    settings = settings or settings_mod.load()
    store = open_store(settings.audit_db_url, settings=settings)
    try:
        result = erase_sender(
            store,
            sender_id,
            actor=actor or f"patient:{via}",
            source=f"bot-{via}",
            via=via,
            tracker_db_url=settings.tracker_db_url,
            channel_erasers=channel_erasers(settings),
        )
    finally:
        store.close()
    return result.as_dict()
