"""Figures for the audit store: ``python -m bot.audit.bench [--records N] [--pg URL]``.

Prints publish latency (the only cost on Rasa's request path: encrypt, append, fsync),
drain throughput, and verify / export time per 10k records, on SQLite in a temporary
directory and, if reachable, on PostgreSQL in a throw-away schema. Not a test: numbers
depend on the disk (fsync) and the machine.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import io
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot import settings as settings_mod
from bot.audit import export, queries
from bot.audit.broker import AuditEventBroker
from bot.audit.records import NewRecord
from bot.audit.store import open_store
from bot.audit.verify import verify

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def _event(i: int) -> dict[str, Any]:
    level = ("none", "none", "none", "support", "crisis", "emergency")[i % 6]
    if i % 2:
        return {
            "sender_id": f"web:{i % 97}",
            "event": "bot",
            "timestamp": 1.7e9 + i,
            "text": "Please call Samaritans on 116 123.",
            "metadata": {"utter_action": "utter_safety"},
        }
    return {
        "sender_id": f"web:{i % 97}",
        "event": "user",
        "timestamp": 1.7e9 + i,
        "text": f"message {i}: I have been feeling low, call me on 07700 900{i % 1000:03d}",
        "metadata": {"locale": "en-GB", "channel": "web"},
        "parse_data": {"safety": {"level": level, "lang": "en", "region": "UK", "helplines": ["samaritans"],
                                  "reasons": [{"detector": "lexicon", "rule": "low_mood", "level": level, "span": [0, 5], "matched": "feeling low", "score": 0.7}],
                                  "version": "bench"}},
    }  # fmt: skip


_KEY = base64.b64encode(secrets.token_bytes(32)).decode()  # one throw-away key per run


def _settings(state: Path, url: str) -> settings_mod.Settings:
    return dataclasses.replace(
        settings_mod.load(), state_dir=state, audit_db_url=url, audit_master_key=_KEY
    )


def bench_publish(url: str, state: Path, n: int) -> None:
    settings = _settings(state, url)
    broker = AuditEventBroker(settings=settings, drain_interval=0.05)
    times = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        broker.publish(_event(i))
        times.append((time.perf_counter() - t) * 1000)
    ok = broker.flush(600)
    drained = time.perf_counter()
    broker.writer.stop()
    times.sort()
    print(
        f"  publish: {n} events, p50 {statistics.median(times):.2f} ms, p99 {times[int(n * 0.99) - 1]:.2f} ms, "
        f"max {times[-1]:.2f} ms; all in the database {drained - started:.2f}s after the first "
        f"({n / (drained - started):.0f} records/s){'' if ok else ' NOT DRAINED'}"
    )


def bench_verify(url: str, state: Path, n: int) -> None:
    settings = _settings(state, url)
    store = open_store(url, settings=settings)
    try:
        t = time.perf_counter()
        for start in range(0, n, 500):
            store.append(
                [
                    NewRecord(kind="user", sender_id=f"web:{i % 97}", event_us=i, level="none", reasons=[],
                              retention_class="message", payload={"text": f"message {i}, call 07700 900{i % 1000:03d}"})
                    for i in range(start, min(n, start + 500))
                ]
            )  # fmt: skip
        appended = time.perf_counter() - t
        report = verify(store)
        assert report.ok, report.problems[:3]
        buf = io.StringIO()
        t = time.perf_counter()
        count = export.write(export.rows(store, queries.Filter()), buf, "jsonl")
        exported = time.perf_counter() - t
        per10k = 10_000 / n
        print(
            f"  {n} records: append {appended:.2f}s ({n / appended:.0f}/s in batches of 500); "
            f"verify {report.seconds:.2f}s = {report.seconds * per10k:.2f}s per 10k; "
            f"redacted JSONL export {exported:.2f}s = {exported * per10k:.2f}s per 10k ({count} rows)"
        )
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--records", type=int, default=10_000)
    p.add_argument("--events", type=int, default=2_000)
    p.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL URL ('' to skip)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("SQLite (file, WAL, synchronous=FULL):")
        bench_publish(f"sqlite:///{root / 'p.db'}", root / "p", args.events)
        bench_verify(f"sqlite:///{root / 'v.db'}", root / "v", args.records)
        if args.pg:
            try:
                import psycopg2

                conn = psycopg2.connect(args.pg, connect_timeout=3)
            except Exception as exc:  # noqa: BLE001
                print(f"PostgreSQL: skipped ({type(exc).__name__})")
                return 0
            conn.autocommit = True
            schema = "audit_bench_" + secrets.token_hex(4)
            conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
            try:
                url = f"{args.pg}?options=-csearch_path%3D{schema}"
                print("PostgreSQL:")
                bench_publish(url, root / "pp", args.events)
            finally:
                conn.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
            try:
                bench_verify(url, root / "pv", args.records)
            finally:
                conn.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
                conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
