"""The audit store: engine, migrations, and appending to the record and access chains.

``open_store(url)`` connects (SQLite file by default, PostgreSQL by URL), upgrades the
schema to the newest Alembic revision, and returns an :class:`AuditStore`. Appends run
in one write transaction that holds the chain's lock, so several processes (Rasa
replicas, the web app, the CLI) can append to one database at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from bot.audit import chain, crypto, derive, models
from bot.audit.records import AccessEvent, NewRecord, now_us

__all__ = [
    "AuditStore",
    "open_store",
    "make_engine",
    "migrate",
    "sender_digest",
    "ConversationErased",
    "MIGRATIONS_DIR",
]

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATE_LOCK = 0x6175646974  # arbitrary constant ("audit") for pg_advisory_lock
_KEY_CACHE_SIZE = 4096
_DROP = object()  # a spooled event for an erased sender: not written


class ConversationErased(Exception):
    """A clinician action on a conversation whose patient has been erased."""


def sender_digest(salt: bytes, sender_id: str) -> str:
    import hashlib

    return hashlib.sha256(salt + sender_id.encode("utf-8")).hexdigest()


def redacted_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is reported by whoever parses it
        return "<unparseable database URL>"


def make_engine(url: str) -> Engine:
    """An engine with the settings the audit store relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Health data: the file (and SQLite's -wal/-shm, which copy its mode) owner-only.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        engine = sa.create_engine(parsed, future=True, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let us issue BEGIN ourselves (pysqlite's own transaction handling would
            # start write transactions too late to serialise appenders).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged record survives power loss
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Write transactions take the database write lock up front: that is the
            # chain lock on SQLite (see chain.lock_head).
            immediate = conn.get_execution_options().get("audit_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
    # pre_ping: a replica restarted or a failover must not surface as an error on the next write.
    return sa.create_engine(parsed, future=True, pool_pre_ping=True, connect_args=connect_args)


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


@contextlib.contextmanager
def _migration_lock(engine: Engine, conn: Connection) -> Iterator[None]:
    """Only one process migrates at a time (replicas may start together)."""
    if engine.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_MIGRATE_LOCK})")
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_MIGRATE_LOCK})")
            conn.commit()
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        lock_path = Path(str(engine.url.database) + ".migrate-lock")
        with open(lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    else:
        yield


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema (idempotent)."""
    from alembic import command

    write_engine = engine.execution_options(audit_write=True)
    # Alembic logs every plugin at INFO; in Rasa's log that is noise on each start.
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(max(level, logging.WARNING))
    try:
        with write_engine.connect() as conn, _migration_lock(engine, conn):
            command.upgrade(_alembic_config(conn), revision)
            conn.commit()
    finally:
        alembic_log.setLevel(level)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": "audit_alembic_version"})
        return ctx.get_current_revision()


@dataclass
class _Subject:
    subject_id: str
    digest: str
    wrapped_key: bytes | None


class AuditStore:
    """Appends to the chains and opens payloads. Thread-safe; one per process is plenty."""

    def __init__(self, engine: Engine, master_key: crypto.MasterKey) -> None:
        self.engine = engine
        self.write_engine = engine.execution_options(audit_write=True)
        self.master_key = master_key
        self._keys: OrderedDict[str, bytes] = OrderedDict()
        self._keys_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    # -- keys ---------------------------------------------------------------------

    def data_key(self, subject_id: str, wrapped: bytes) -> bytes:
        with self._keys_lock:
            key = self._keys.get(subject_id)
            if key is not None:
                self._keys.move_to_end(subject_id)
                return key
        key = self.master_key.unwrap(wrapped, subject_id)
        with self._keys_lock:
            self._keys[subject_id] = key
            while len(self._keys) > _KEY_CACHE_SIZE:
                self._keys.popitem(last=False)
        return key

    def forget_key(self, subject_id: str) -> None:
        with self._keys_lock:
            self._keys.pop(subject_id, None)

    # -- appending records --------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (holds SQLite's write lock; callers lock chain heads)."""
        with self.write_engine.begin() as conn:
            yield conn

    def append(self, items: Sequence[NewRecord]) -> list[int]:
        """Append records in one transaction; returns the sequence numbers written.

        Idempotent by record uuid: a record already in the chain is skipped, so a spool
        segment can be replayed after a crash without duplicates.
        """
        if not items:
            return []
        with self.write() as conn:
            return self.append_in(conn, items)

    def append_in(self, conn: Connection, items: Sequence[NewRecord]) -> list[int]:
        seq, prev = chain.lock_head(conn, "record")
        rec = models.record
        uuids = [item.uuid for item in items]
        existing: set[str] = set()
        for start in range(0, len(uuids), 500):
            existing.update(
                conn.execute(
                    sa.select(rec.c.uuid).where(rec.c.uuid.in_(uuids[start : start + 500]))
                )
                .scalars()
                .all()
            )
        by_sender: dict[str, Any] = {}
        rows: list[dict[str, Any]] = []
        for item in items:
            if item.uuid in existing:
                continue
            existing.add(item.uuid)
            subject = self._subject_for(conn, item, by_sender)
            if subject is _DROP:
                continue
            seq += 1
            row = self._row(item, seq, subject)
            row["prev_hash"] = prev
            row["record_hash"] = prev = chain.link_hash("record", prev, row)
            rows.append(row)
        if not rows:
            return []
        conn.execute(sa.insert(rec), rows)
        chain.set_head(conn, "record", seq, prev)
        self._apply_derived(conn, rows)
        return [r["seq"] for r in rows]

    def _row(self, item: NewRecord, seq: int, subject: _Subject | None) -> dict[str, Any]:
        ciphertext = None
        digest = None
        if item.payload is not None:
            if subject is None:
                raise ValueError(f"a {item.kind} record with a payload needs a sender or subject")
            if subject.wrapped_key is None:
                raise ConversationErased(subject.subject_id)
            key = self.data_key(subject.subject_id, subject.wrapped_key)
            plaintext = chain.canonical(item.payload).encode("utf-8")
            ciphertext = crypto.encrypt(key, plaintext, aad=item.uuid.encode("ascii"))
            digest = chain.payload_hash(ciphertext)
        return {
            "seq": seq,
            "uuid": item.uuid,
            "kind": item.kind,
            "subject_id": subject.subject_id if subject else None,
            "sender_digest": subject.digest if subject else None,
            "event_us": int(item.event_us),
            "recorded_us": int(item.recorded_us),
            "channel": item.channel,
            "locale": item.locale,
            "lang": item.lang,
            "region": item.region,
            "level": item.level,
            "reasons": None if item.reasons is None else chain.canonical(item.reasons),
            "detector_version": item.detector_version,
            "helplines": None if item.helplines is None else chain.canonical(item.helplines),
            "message_id": item.message_id,
            "utter_action": item.utter_action,
            "latency_ms": None if item.latency_ms is None else int(item.latency_ms),
            "retention_class": item.retention_class,
            "actor": item.actor,
            "detail": None if item.detail is None else chain.canonical(item.detail),
            "payload_hash": digest,
            "ciphertext": ciphertext,
        }

    def _subject_for(self, conn: Connection, item: NewRecord, cache: dict[str, Any]) -> Any:
        subj = models.subject
        if item.subject_id is not None:
            row = conn.execute(
                sa.select(subj.c.subject_id, subj.c.sender_digest, subj.c.wrapped_key).where(
                    subj.c.subject_id == item.subject_id
                )
            ).first()
            if row is None:
                raise LookupError(f"no conversation {item.subject_id}")
            return _Subject(row.subject_id, row.sender_digest, row.wrapped_key)
        if item.sender_id is None:
            return None
        sender = item.sender_id
        if sender in cache:
            return cache[sender]
        row = conn.execute(
            sa.select(subj.c.subject_id, subj.c.sender_digest, subj.c.wrapped_key).where(
                subj.c.sender_id == sender
            )
        ).first()
        if row is not None:
            cache[sender] = _Subject(row.subject_id, row.sender_digest, row.wrapped_key)
            return cache[sender]
        erased_us = conn.execute(
            sa.select(models.tombstone.c.erased_us).where(
                models.tombstone.c.sender_hmac == self.master_key.tombstone_hmac(sender)
            )
        ).scalar()
        if erased_us is not None and item.event_us <= erased_us:
            # Said before the person asked to be forgotten, reaching us only now
            # (spooled while the database was away): honour the erasure.
            return _DROP
        import secrets

        from bot.audit.records import new_uuid

        subject_id = new_uuid()
        salt = secrets.token_bytes(16)
        data_key = crypto.new_data_key()
        wrapped = self.master_key.wrap(data_key, subject_id)
        digest = sender_digest(salt, sender)
        conn.execute(
            sa.insert(subj).values(
                subject_id=subject_id,
                sender_id=sender,
                sender_salt=salt,
                sender_digest=digest,
                wrapped_key=wrapped,
                master_key_id=self.master_key.key_id,
                created_us=now_us(),
                erased_us=None,
            )
        )
        with self._keys_lock:
            self._keys[subject_id] = data_key
        cache[sender] = _Subject(subject_id, digest, wrapped)
        return cache[sender]

    def _apply_derived(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        conv_t, ev_t = models.conversation, models.safety_event
        convs: dict[str, dict[str, Any]] = {}
        fresh: set[str] = set()
        events: dict[int, dict[str, Any]] = {}
        fresh_events: set[int] = set()
        for row in rows:
            sid = row["subject_id"]
            if sid is not None:
                if sid not in convs:
                    found = (
                        conn.execute(sa.select(conv_t).where(conv_t.c.subject_id == sid))
                        .mappings()
                        .first()
                    )
                    if found is None:
                        convs[sid] = derive.new_conversation(sid)
                        fresh.add(sid)
                    else:
                        convs[sid] = dict(found)
                convs[sid] = derive.apply_to_conversation(convs[sid], row)
            new_event = derive.safety_event_from(row)
            if new_event is not None:
                events[new_event["record_seq"]] = new_event
                fresh_events.add(new_event["record_seq"])
            if row["kind"] == "safety_review":
                target = int(json.loads(row["detail"])["event_seq"])
                if target not in events:
                    found = (
                        conn.execute(sa.select(ev_t).where(ev_t.c.record_seq == target))
                        .mappings()
                        .first()
                    )
                    if found is None:
                        raise LookupError(f"no safety event {target}")
                    events[target] = dict(found)
                events[target] = derive.apply_to_safety_event(events[target], row)
        for sid, state in convs.items():
            if sid in fresh:
                conn.execute(sa.insert(conv_t).values(**state))
            else:
                conn.execute(sa.update(conv_t).where(conv_t.c.subject_id == sid).values(**state))
        for seq, state in events.items():
            if seq in fresh_events:
                conn.execute(sa.insert(ev_t).values(**state))
            else:
                conn.execute(sa.update(ev_t).where(ev_t.c.record_seq == seq).values(**state))

    # -- the access log -------------------------------------------------------------

    def log_access(self, events: Iterable[AccessEvent]) -> None:
        with self.write() as conn:
            self.log_access_in(conn, events)

    def log_access_in(self, conn: Connection, events: Iterable[AccessEvent]) -> None:
        rows = []
        seq, prev = chain.lock_head(conn, "access")
        for ev in events:
            seq += 1
            row = {
                "seq": seq,
                "uuid": ev.uuid,
                "recorded_us": int(ev.recorded_us),
                "type_code": ev.type_code,
                "subtype": ev.subtype,
                "action": ev.action,
                "outcome": int(ev.outcome),
                "agent_who": ev.agent_who,
                "agent_role": ev.agent_role,
                "agent_address": ev.agent_address,
                "source": ev.source,
                "entity_what": ev.entity_what,
                "entity_query": None
                if ev.entity_query is None
                else chain.canonical(ev.entity_query),
                "detail": None if ev.detail is None else chain.canonical(ev.detail),
                "prev_hash": prev,
            }
            row["record_hash"] = prev = chain.link_hash("access", prev, row)
            rows.append(row)
        if rows:
            conn.execute(sa.insert(models.access), rows)
            chain.set_head(conn, "access", seq, prev)

    # -- reading --------------------------------------------------------------------

    def open_payloads(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[int, Any]:
        """Decrypted payloads by seq; ``None`` where the text was destroyed or never existed."""
        subj = models.subject
        wanted = {r["subject_id"] for r in rows if r.get("ciphertext") is not None}
        wrapped: dict[str, bytes | None] = {}
        ids = sorted(i for i in wanted if i)
        for start in range(0, len(ids), 500):
            for row in conn.execute(
                sa.select(subj.c.subject_id, subj.c.wrapped_key).where(
                    subj.c.subject_id.in_(ids[start : start + 500])
                )
            ):
                wrapped[row.subject_id] = row.wrapped_key
        out: dict[int, Any] = {}
        for r in rows:
            blob = r.get("ciphertext")
            wk = wrapped.get(r["subject_id"]) if blob is not None else None
            if blob is None or wk is None:
                out[int(r["seq"])] = None
                continue
            key = self.data_key(r["subject_id"], wk)
            plain = crypto.decrypt(key, bytes(blob), aad=str(r["uuid"]).encode("ascii"))
            out[int(r["seq"])] = json.loads(plain)
        return out


def open_store(
    url: str | None = None,
    master_key: crypto.MasterKey | None = None,
    *,
    settings: Any = None,
    upgrade: bool = True,
) -> AuditStore:
    """Connect, upgrade the schema to the newest revision, and return the store."""
    if settings is None:
        from bot import settings as settings_mod

        settings = settings_mod.load()
    if url is None:
        url = settings.audit_db_url
    if master_key is None:
        master_key = crypto.load_master_key(settings.audit_master_key, settings.state_dir)
    engine = make_engine(url)
    try:
        if upgrade:
            migrate(engine)
    except Exception:
        engine.dispose()
        raise
    return AuditStore(engine, master_key)
