"""A turn's events published together: one spool fsync, the same records as one by one."""

from __future__ import annotations

import os

from bot.audit import crypto
from bot.audit.broker import AuditEventBroker
from bot.audit.spool import Spool


def test_append_many_writes_every_record_with_one_fsync(tmp_path, monkeypatch):
    spool = Spool(tmp_path / "spool", crypto.MasterKey(os.urandom(32)).spool_key)
    spool.open()
    syncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (syncs.append(fd), real_fsync(fd)))
    records = [{"n": i, "text": f"message {i}"} for i in range(3)]
    spool.append_many(records)
    spool.append_many([])  # nothing to write: no fsync either
    assert len(syncs) == 1
    assert spool.current_count() == 3
    segment = spool.rotate()
    assert segment is not None
    read, bad, torn = spool.read(segment)
    assert (read, bad, torn) == (records, 0, False)
    spool.remove(segment)
    spool.close()


def _stored(h, settings, publish) -> list[tuple]:
    events = h.load_events()
    broker = AuditEventBroker(settings=settings, drain_interval=0.05)
    try:
        publish(broker, events)
        assert broker.flush(20), broker.health()
    finally:
        broker.writer.stop()
    store = h.open_test_store(settings)
    try:
        import sqlalchemy as sa

        from bot.audit import models

        rec = models.record
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(rec.c.kind, rec.c.level).order_by(rec.c.seq)).all()
        return [tuple(r) for r in rows]
    finally:
        store.close()


def test_publish_many_records_what_publish_records(h, monkeypatch, tmp_path):
    one_by_one = _stored(
        h, h.make_settings(monkeypatch, tmp_path / "a", f"sqlite:///{tmp_path / 'a.db'}"),
        lambda broker, events: [broker.publish(e) for e in events],
    )
    together = _stored(
        h, h.make_settings(monkeypatch, tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}"),
        lambda broker, events: broker.publish_many(events),
    )
    assert together == one_by_one and len(together) > 10
