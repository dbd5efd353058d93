"""Spool first, database later: the write path behind the event broker.

``submit`` is called on Rasa's request path. It encrypts the record into the local
spool (fsync) and returns; it never raises. A daemon thread moves spooled segments
into the database, retrying with back-off while the database is away, and reports
its state through :meth:`SpoolWriter.health`. If even the spool cannot be written
(disk full, permissions), records are held in memory and the health turns "down".
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy.exc

from bot.audit import crypto
from bot.audit.records import NewRecord
from bot.audit.spool import Segment, Spool
from bot.audit.store import AuditStore

__all__ = ["SpoolWriter", "live_writers", "drain_leftovers"]

logger = logging.getLogger(__name__)

_BATCH = 500
_STALE_SECONDS = 5.0  # a backlog older than this is worth telling the operator about
_MAX_BACKOFF = 30.0

_LIVE: weakref.WeakSet[SpoolWriter] = weakref.WeakSet()


def live_writers() -> list[SpoolWriter]:
    return list(_LIVE)


def _is_outage(exc: BaseException) -> bool:
    """Database unreachable (retry later) as opposed to a record it refuses."""
    return isinstance(
        exc,
        (
            sqlalchemy.exc.OperationalError,
            sqlalchemy.exc.InterfaceError,
            sqlalchemy.exc.DisconnectionError,
            OSError,
        ),
    ) or (isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated)


def _describe(exc: BaseException) -> str:
    # The class and first line only: driver messages can be long, never contain text
    # from patients (records are bound parameters), but may name hosts.
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:200]}"


class SpoolWriter:
    def __init__(
        self,
        spool_dir: Path,
        master_key: crypto.MasterKey,
        store_factory: Callable[[], AuditStore],
        *,
        interval: float = 0.25,
    ) -> None:
        self._spool = Spool(spool_dir, master_key.spool_key)
        self._store_factory = store_factory
        self._store: AuditStore | None = None
        self._interval = interval
        self._pending: list[Segment] = []  # closed segments waiting for the database
        self._memory: deque[dict[str, Any]] = deque()  # only when the spool itself fails
        self._drain_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._db_error: str | None = None
        self._spool_error: str | None = None
        self._failures = 0
        self._next_try = 0.0
        self._backlog_since: float | None = None
        self._quarantined = 0
        self._rejected = 0
        self._written = 0

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._spool.open()
        except OSError as exc:
            self._spool_error = _describe(exc)
            logger.error(
                "audit: cannot open the spool in %s (%s)", self._spool.directory, self._spool_error
            )
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after a last drain; leftovers stay in the spool for next time."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._drain_lock:
            for seg in self._pending:
                self._spool.release(seg)
            self._pending.clear()
            self._spool.close()
            if self._store is not None:
                self._store.close()
                self._store = None
        _LIVE.discard(self)
        if self._memory:
            logger.error(
                "audit: %d records held in memory are lost at shutdown (the spool failed)",
                len(self._memory),
            )

    # -- request path -----------------------------------------------------------------

    def submit(self, record: NewRecord) -> None:
        self.submit_many([record])

    def submit_many(self, records: list[NewRecord]) -> None:
        """Spool several records with one fsync; same guarantees as :meth:`submit`."""
        if not records:
            return
        data = [record.to_json() for record in records]
        if self._backlog_since is None:
            self._backlog_since = time.monotonic()
        try:
            self._spool.append_many(data)
            self._spool_error = None
        except Exception as exc:  # noqa: BLE001 - must never raise into Rasa
            self._spool_error = _describe(exc)
            self._memory.extend(data)
            logger.error(
                "audit: spool write failed (%s); holding %d record(s) in memory",
                self._spool_error,
                len(data),
            )

    # -- draining -----------------------------------------------------------------------

    def _run(self) -> None:
        with self._drain_lock:
            self._pending.extend(self._spool.claim_leftovers())
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if time.monotonic() >= self._next_try:
                self.drain()
        self.drain()

    def flush(self, timeout: float = 10.0) -> bool:
        """Drain now, in the caller's thread; True when nothing is left waiting."""
        deadline = time.monotonic() + timeout
        while True:
            if self.drain() and self.backlog() == 0:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def drain(self) -> bool:
        """One pass: memory, then spooled segments, oldest first. True if all written."""
        with self._drain_lock:
            try:
                store = self._get_store()
                while self._memory:
                    batch = [self._memory[i] for i in range(min(_BATCH, len(self._memory)))]
                    self._write(store, batch)
                    for _ in batch:
                        self._memory.popleft()
                if not self._pending:
                    seg = self._spool.rotate()
                    if seg is not None:
                        self._pending.append(seg)
                while self._pending:
                    self._drain_segment(store, self._pending[0])
                    self._pending.pop(0)
            except Exception as exc:  # noqa: BLE001 - the thread must survive anything
                self._failures += 1
                self._db_error = _describe(exc)
                delay = min(_MAX_BACKOFF, 0.5 * 2 ** min(self._failures, 8))
                self._next_try = time.monotonic() + delay
                log = logger.warning if _is_outage(exc) else logger.error
                log(
                    "audit: database write failed (%s); records stay spooled, retry in %.1fs",
                    self._db_error,
                    delay,
                )
                if not _is_outage(exc) and self._store is not None:
                    # Anything unexpected: start again with a fresh connection pool.
                    self._store.close()
                    self._store = None
                return False
            if self._failures:
                logger.warning("audit: database reachable again; spooled records written")
            self._failures = 0
            self._db_error = None
            self._next_try = 0.0
            if self._spool.current_count() == 0 and not self._memory:
                self._backlog_since = None
            return True

    def _get_store(self) -> AuditStore:
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def _drain_segment(self, store: AuditStore, seg: Segment) -> None:
        records, bad, torn = self._spool.read(seg)
        if torn:
            logger.warning(
                "audit: spool segment %s ends in a partial line (crash mid-write); skipped it",
                seg.path.name,
            )
        for start in range(0, len(records), _BATCH):
            self._write(store, records[start : start + _BATCH])
        if bad:
            self._quarantined += 1
            self._spool.quarantine(seg)
        else:
            self._spool.remove(seg)

    def _write(self, store: AuditStore, batch: list[dict[str, Any]]) -> None:
        items = [NewRecord.from_json(d) for d in batch]
        refused: list[dict[str, Any]] = []
        try:
            self._written += len(store.append(items))
        except Exception as exc:
            if _is_outage(exc):
                raise
            # The database refuses something in the batch: find it, keep the rest.
            logger.error("audit: a batch was refused (%s); writing one by one", _describe(exc))
            for item in items:
                try:
                    self._written += len(store.append([item]))
                except Exception as one:
                    if _is_outage(one):
                        raise
                    self._rejected += 1
                    refused.append(item.to_json())
                    logger.error(
                        "audit: record %s of kind %s refused (%s)",
                        item.uuid,
                        item.kind,
                        _describe(one),
                    )
            if refused:
                self._spool.keep_rejected(refused)

    # -- health ---------------------------------------------------------------------------

    def backlog(self) -> int:
        return self._spool.current_count() + sum(s.count for s in self._pending) + len(self._memory)

    def health(self) -> dict[str, Any]:
        reasons: list[str] = []
        status = "ready"
        backlog = self.backlog()
        if self._spool_error:
            status = "down"
            reasons.append(
                f"spool not writable ({self._spool_error}); {len(self._memory)} records held in memory only"
            )
        if self._db_error:
            if status == "ready":
                status = "degraded"
            reasons.append(f"database unavailable ({self._db_error}); {backlog} records spooled")
        elif (
            backlog
            and self._backlog_since
            and time.monotonic() - self._backlog_since > _STALE_SECONDS
        ):
            if status == "ready":
                status = "degraded"
            reasons.append(f"{backlog} records waiting to be written")
        if self._quarantined:
            if status == "ready":
                status = "degraded"
            reasons.append(f"{self._quarantined} unreadable spool segment(s) quarantined")
        if self._rejected:
            if status == "ready":
                status = "degraded"
            reasons.append(f"{self._rejected} record(s) refused by the database")
        if self._thread is not None and not self._thread.is_alive() and not self._stop.is_set():
            status = "down"
            reasons.append("audit writer thread stopped")
        return {"status": status, "reasons": reasons, "backlog": backlog}


def drain_leftovers(spool_dir: Path, master_key: crypto.MasterKey, store: AuditStore) -> int:
    """Write segments that no live process holds (a writer that died) into the store.

    The CLI calls this before reading, so a crashed server's spool is never invisible.
    """
    if not Path(spool_dir).is_dir():
        return 0
    spool = Spool(spool_dir, master_key.spool_key)
    written = 0
    for seg in spool.claim_leftovers():
        try:
            records, bad, _torn = spool.read(seg)
            if bad and not records:
                # Not one line opens: most likely written under another master key (a
                # CLI run with the wrong AUDIT_MASTER_KEY). Leave it for the right one.
                logger.error(
                    "audit: spool segment %s cannot be read with this master key; left in place",
                    seg.path.name,
                )
                spool.release(seg)
                continue
            for start in range(0, len(records), _BATCH):
                written += len(
                    store.append([NewRecord.from_json(d) for d in records[start : start + _BATCH]])
                )
        except Exception:
            spool.release(seg)
            raise
        if bad:
            spool.quarantine(seg)
        else:
            spool.remove(seg)
    return written
