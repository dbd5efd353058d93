"""Nothing is lost when the database is away, and the operator is told."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from bot.audit import crypto
from bot.audit.broker import AuditEventBroker
from bot.audit.records import NewRecord
from bot.audit.spool import Spool
from bot.audit.store import open_store
from bot.audit.verify import verify
from bot.audit.writer import SpoolWriter, drain_leftovers

DOWN_URL = "postgresql://postgres@127.0.0.1:1/nothing"  # nothing listens on port 1


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_database_down_spools_then_drains(h, sqlite_settings, tmp_path):
    from bot import audit

    events = h.load_events()
    broker = AuditEventBroker(DOWN_URL, settings=sqlite_settings, drain_interval=0.05)
    try:
        for e in events:
            broker.publish(e)  # never raises, never blocks on the database
        assert _wait(lambda: broker.health()["status"] == "degraded")
        health = audit.health()
        assert health["status"] == "degraded" and health["backlog"] == 22
        assert any("database unavailable" in r for r in health["reasons"])
    finally:
        broker.writer.stop()
    spooled = list((sqlite_settings.state_dir / "audit-spool").glob("*.spool"))
    assert spooled
    blob = b"".join(p.read_bytes() for p in spooled)
    assert "хочу".encode() not in blob and b"07700" not in blob  # encrypted at rest, even here

    # The next start (database back) drains what the last one left.
    broker2 = AuditEventBroker(settings=sqlite_settings, drain_interval=0.05)
    try:
        assert _wait(
            lambda: broker2.writer.backlog() == 0 and broker2.health()["status"] == "ready"
        )
    finally:
        broker2.writer.stop()
    store = h.open_test_store(sqlite_settings)
    try:
        report = verify(store)
        assert report.ok and report.records == 22
    finally:
        store.close()
    assert not list((sqlite_settings.state_dir / "audit-spool").glob("*.spool"))


def test_outage_mid_run_recovers_and_health_follows(h, sqlite_settings):
    up = {"ok": False}
    key = crypto.load_master_key(sqlite_settings.audit_master_key, sqlite_settings.state_dir)

    def factory():
        if not up["ok"]:
            import sqlalchemy.exc

            raise sqlalchemy.exc.OperationalError("connect", {}, Exception("connection refused"))
        return open_store(sqlite_settings.audit_db_url, key, settings=sqlite_settings)

    writer = SpoolWriter(sqlite_settings.state_dir / "audit-spool", key, factory, interval=0.05)
    writer.start()
    try:
        for i in range(5):
            writer.submit(
                NewRecord(kind="user", sender_id="web:x", event_us=i, payload={"text": "hi"})
            )
        assert _wait(lambda: writer.health()["status"] == "degraded")
        assert writer.health()["backlog"] == 5
        up["ok"] = True
        writer._next_try = 0  # do not wait for the back-off in a test
        assert _wait(
            lambda: writer.health() == {"status": "ready", "reasons": [], "backlog": 0}, 15
        )
    finally:
        writer.stop()


def test_publish_never_raises_on_odd_events(sqlite_settings):
    broker = AuditEventBroker(settings=sqlite_settings, drain_interval=0.05)
    try:
        for odd in (
            {},
            {"event": "user"},
            {
                "event": "user",
                "sender_id": "s",
                "timestamp": "yesterday",
                "metadata": "x",
                "parse_data": [1],
            },
            {
                "event": "user",
                "sender_id": "s",
                "parse_data": {"safety": {"level": "panic", "reasons": "x"}},
            },
            {"event": "bot", "sender_id": "s", "data": "x", "metadata": None, "text": None},
            {"event": "slot", "sender_id": "s"},
            {"event": "session_started", "sender_id": "s"},
        ):
            broker.publish(odd)
        assert broker.flush(10)
    finally:
        broker.writer.stop()


def test_spool_unwritable_keeps_records_in_memory_and_says_down(h, sqlite_settings, monkeypatch):
    broker = AuditEventBroker(settings=sqlite_settings, drain_interval=0.05)
    try:

        def broken(self, record):
            raise OSError(28, "No space left on device")

        with monkeypatch.context() as m:
            m.setattr(Spool, "append_many", broken)  # every spool write goes through it
            broker.publish(h.load_events()[3])
            health = broker.health()
            assert health["status"] == "down" and "memory" in health["reasons"][0]
            assert broker.flush(10)  # the record still reaches the database
        broker.publish(h.load_events()[6])  # the disk is back
        assert broker.flush(10) and broker.health()["status"] == "ready"
    finally:
        broker.writer.stop()
    store = h.open_test_store(sqlite_settings)
    try:
        assert verify(store).records == 2
    finally:
        store.close()


def test_unreadable_segment_is_quarantined_not_lost(h, sqlite_settings):
    spool_dir: Path = sqlite_settings.state_dir / "audit-spool"
    key = crypto.load_master_key(sqlite_settings.audit_master_key, sqlite_settings.state_dir)
    spool = Spool(spool_dir, key.spool_key)
    spool.open()
    spool.append(
        NewRecord(kind="user", sender_id="web:q", event_us=1, payload={"text": "a"}).to_json()
    )
    seg = spool.rotate()
    spool.release(seg)
    spool.close()
    with open(seg.path, "ab") as fh:
        fh.write(b"not-base64-at-all\n" + b"torn-last-line-without-newline")
    store = h.open_test_store(sqlite_settings)
    try:
        assert drain_leftovers(spool_dir, key, store) == 1
        assert verify(store).records == 1
        assert list((spool_dir / "quarantine").iterdir())
        from bot.audit.status import health

        result = health(sqlite_settings)
        assert result["status"] == "degraded" and "quarantined" in " ".join(result["reasons"])
    finally:
        store.close()


def test_replaying_a_segment_adds_no_duplicates(h, sqlite_settings):
    store = h.open_test_store(sqlite_settings)
    try:
        items = [
            NewRecord(kind="user", sender_id="web:r", event_us=i, payload={"text": str(i)})
            for i in range(3)
        ]
        assert len(store.append(items)) == 3
        assert store.append(items) == []  # same uuids: a crash between write and delete
        assert verify(store).records == 3
    finally:
        store.close()


def test_publish_latency(sqlite_settings, h):
    """Figures for the report; the bound only catches something badly wrong."""
    broker = AuditEventBroker(settings=sqlite_settings, drain_interval=0.05)
    events = [e for e in h.load_events() if e["event"] in ("user", "bot")]
    times = []
    try:
        for i in range(300):
            e = dict(events[i % len(events)], sender_id=f"web:lat{i % 7}")
            t = time.perf_counter()
            broker.publish(e)
            times.append((time.perf_counter() - t) * 1000)
        assert broker.flush(20)
    finally:
        broker.writer.stop()
    times.sort()
    p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
    print(f"publish latency p50={p50:.2f} ms p99={p99:.2f} ms")
    assert p99 < 100


@pytest.mark.postgres
def test_health_passive_for_a_process_without_broker(h, pg_url, monkeypatch, tmp_path):
    from bot.audit.status import health

    settings = h.make_settings(monkeypatch, tmp_path, pg_url)
    h.open_test_store(settings).close()
    assert health(settings)["status"] == "ready"
    down = h.make_settings(monkeypatch, tmp_path / "b", DOWN_URL)
    result = health(down)
    assert result["status"] == "degraded" and "unavailable" in result["reasons"][0]


def test_cli_with_another_master_key_leaves_foreign_spool_alone(h, sqlite_settings):
    spool_dir: Path = sqlite_settings.state_dir / "audit-spool"
    theirs = crypto.MasterKey(b"t" * 32)
    spool = Spool(spool_dir, theirs.spool_key)
    spool.open()
    spool.append(
        NewRecord(kind="user", sender_id="web:f", event_us=1, payload={"text": "a"}).to_json()
    )
    seg = spool.rotate()
    spool.release(seg)
    spool.close()
    store = h.open_test_store(sqlite_settings)
    try:
        assert drain_leftovers(spool_dir, store.master_key, store) == 0
        assert seg.path.exists() and not (spool_dir / "quarantine").exists()
    finally:
        store.close()
