"""Several writers appending to one chain at once (replicas of Rasa, the web app, the CLI)."""

from __future__ import annotations

import multiprocessing as mp

import sqlalchemy as sa

from bot.audit import crypto, models
from bot.audit.records import NewRecord
from bot.audit.verify import verify

WRITERS = 6
PER_WRITER = 40


def _writer(url: str, key: str, index: int, start: mp.Event) -> None:  # type: ignore[valid-type]
    from bot.audit.store import AuditStore, make_engine

    store = AuditStore(make_engine(url), crypto.MasterKey(bytes.fromhex(key)))
    start.wait(30)
    for i in range(PER_WRITER):
        # Everyone also writes for one shared sender: its subject must be created once.
        sender = "web:shared" if i % 5 == 0 else f"web:w{index}"
        store.append(
            [
                NewRecord(
                    kind="user",
                    sender_id=sender,
                    event_us=i,
                    level="none",
                    retention_class="message",
                    payload={"text": f"{index}-{i}"},
                )
            ]
        )
        if i % 10 == 0:
            from bot.audit import access_log

            store.log_access([access_log.make("read", "read", "R", who=f"w{index}", source="test")])
    store.close()


def test_concurrent_appenders_keep_one_chain(h, settings, store):
    key = crypto.load_master_key(settings.audit_master_key, settings.state_dir).raw.hex()
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [
        ctx.Process(target=_writer, args=(settings.audit_db_url, key, i, start))
        for i in range(WRITERS)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    report = verify(store)
    assert report.ok, report.problems[:3]
    assert report.records == WRITERS * PER_WRITER
    assert report.access_records == WRITERS * (PER_WRITER // 10)
    with store.engine.connect() as conn:
        seqs = list(
            conn.execute(sa.select(models.record.c.seq).order_by(models.record.c.seq)).scalars()
        )
        shared = conn.execute(
            sa.select(sa.func.count())
            .select_from(models.subject)
            .where(models.subject.c.sender_id == "web:shared")
        ).scalar()
    assert seqs == list(range(1, WRITERS * PER_WRITER + 1))
    assert shared == 1


def test_concurrent_migrations(h, settings):
    """Replicas starting together both upgrade the schema: no error, one schema."""
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_migrate, args=(settings.audit_db_url,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0


def _migrate(url: str) -> None:
    from bot.audit.store import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
