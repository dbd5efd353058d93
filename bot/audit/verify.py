"""Check the audit store end to end: both chains, their heads, payloads, subjects, summaries.

Problems are reported in chain order, so the first one names the first broken record.
The check needs no key; with the master key it also opens every wrapped data key (which
authenticates them). What it proves, and what it does not, is in docs/audit.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.audit import chain, crypto, derive, models
from bot.audit.store import AuditStore, sender_digest

__all__ = ["Problem", "Report", "verify", "parse_expect"]

_PAGE = 5000


@dataclass
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: int = 0
    access_records: int = 0
    record_head: tuple[int, str] = (0, chain.GENESIS)
    access_head: tuple[int, str] = (0, chain.GENESIS)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "access_records": self.access_records,
            "record_head": {"seq": self.record_head[0], "hash": self.record_head[1]},
            "access_head": {"seq": self.access_head[0], "hash": self.access_head[1]},
            "problems": [str(p) for p in self.problems],
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


def parse_expect(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as printed by an earlier verify run."""
    seq, sep, hash_ = text.partition(":")
    if (
        not sep
        or not seq.isdigit()
        or len(hash_) != 64
        or any(c not in "0123456789abcdef" for c in hash_)
    ):
        raise ValueError(
            f"--expect wants SEQ:HASH (64 hex digits) as printed by verify, got {text!r}"
        )
    return int(seq), hash_


def _pages(conn: Connection, table: sa.Table, start_after: int) -> Iterator[Mapping[str, Any]]:
    last = start_after
    while True:
        rows = (
            conn.execute(
                sa.select(table).where(table.c.seq > last).order_by(table.c.seq).limit(_PAGE)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = int(rows[-1]["seq"])


def _detail(raw: str | None) -> dict[str, Any]:
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _where(seq: int, uuid: Any = None) -> str:
    return f"audit_record seq {seq}" + (f" ({uuid})" if uuid else "")


def verify(
    store: AuditStore,
    *,
    check_keys: bool = True,
    expect: list[tuple[int, str]] | None = None,
) -> Report:
    started = time.perf_counter()
    report = Report()
    with store.engine.connect() as conn:
        heads = {r.chain: r for r in conn.execute(sa.select(models.chain_head))}
        if "record" not in heads or "access" not in heads:
            report.problems.append(
                Problem("audit_chain_head", "head rows missing (table altered?)")
            )
            return report
        digests, erasures = _verify_records(conn, heads["record"], report, expect or [])
        _verify_access(conn, heads["access"], report)
        _verify_subjects(conn, store, report, digests, erasures, check_keys)
    report.seconds = time.perf_counter() - started
    return report


def _verify_records(
    conn: Connection, head: Any, report: Report, expect: list[tuple[int, str]]
) -> tuple[dict[str, str], dict[str, int]]:
    """Walk the record chain; returns each subject's sender digest and erasure seq."""
    rec = models.record
    # Erasure and purge records explain destroyed text; read them first (they are
    # checked like every other record in the pass below).
    erasures: dict[str, int] = {}
    purges: list[tuple[int, dict[str, int]]] = []
    for row in conn.execute(
        sa.select(rec.c.seq, rec.c.kind, rec.c.subject_id, rec.c.detail).where(
            rec.c.kind.in_(("erasure", "purge"))
        )
    ):
        if row.kind == "erasure" and row.subject_id:
            erasures.setdefault(row.subject_id, int(row.seq))
        elif row.kind == "purge":
            cutoffs = _detail(row.detail).get("cutoffs") or {}
            purges.append(
                (int(row.seq), {k: int(v) for k, v in cutoffs.items() if isinstance(v, int)})
            )
    wanted = dict(expect)

    expected, prev = 1, chain.GENESIS
    digests: dict[str, str] = {}
    convs: dict[str, dict[str, Any]] = {}
    events: dict[int, dict[str, Any]] = {}
    last_seq = 0
    for row in _pages(conn, rec, 0):
        seq = int(row["seq"])
        where = _where(seq, row["uuid"])
        report.records += 1
        if seq > expected:
            gap = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
            report.problems.append(
                Problem(
                    _where(expected), f"missing: record(s) {gap} deleted (next present is {seq})"
                )
            )
        elif row["prev_hash"] != prev:
            report.problems.append(
                Problem(
                    where,
                    f"does not link to record {seq - 1}: a record was inserted here or the one before was replaced",
                )
            )
        if chain.link_hash("record", row["prev_hash"], row) != row["record_hash"]:
            report.problems.append(Problem(where, "altered: its fields no longer match its hash"))
        blob = row["ciphertext"]
        if blob is not None:
            if (
                row["payload_hash"] is None
                or chain.payload_hash(bytes(blob)) != row["payload_hash"]
            ):
                report.problems.append(
                    Problem(where, "encrypted text altered (payload hash mismatch)")
                )
        elif row["payload_hash"] is not None:
            sid, cls, ts = row["subject_id"], row["retention_class"], int(row["event_us"])
            erased_at = erasures.get(sid) if sid else None
            purged = any(pseq > seq and ts < cut.get(cls, -1) for pseq, cut in purges)
            if not ((erased_at is not None and erased_at > seq) or purged):
                report.problems.append(
                    Problem(where, "text deleted without an erasure or retention record")
                )
        sid = row["subject_id"]
        if sid is not None:
            if sid in digests and digests[sid] != row["sender_digest"]:
                report.problems.append(
                    Problem(where, "sender link differs from the conversation's other records")
                )
            digests.setdefault(sid, row["sender_digest"])
            convs[sid] = derive.apply_to_conversation(
                convs.get(sid) or derive.new_conversation(sid), row
            )
        ev = derive.safety_event_from(row)
        if ev is not None:
            events[ev["record_seq"]] = ev
        if row["kind"] == "safety_review":
            target = _detail(row["detail"]).get("event_seq")
            if target in events:
                events[target] = derive.apply_to_safety_event(events[target], row)
            else:
                report.problems.append(
                    Problem(
                        where, f"reviews safety event {target}, which is not in the chain before it"
                    )
                )
        if seq in wanted and wanted.pop(seq) != row["record_hash"]:
            report.problems.append(
                Problem(
                    where,
                    "differs from the head recorded earlier (--expect): the chain was rewritten",
                )
            )
        prev, expected, last_seq = row["record_hash"], seq + 1, seq
    for seq in wanted:
        report.problems.append(Problem(_where(seq), "expected by --expect but not in the chain"))

    report.record_head = (last_seq, prev)
    head_seq, head_hash = int(head.seq), str(head.hash)
    if last_seq > head_seq:
        report.problems.append(
            Problem(
                _where(head_seq + 1),
                f"inserted after the chain head (records {head_seq + 1}..{last_seq} were never appended by the store)",
            )
        )
    elif last_seq < head_seq:
        report.problems.append(
            Problem(
                _where(last_seq + 1),
                f"missing: the chain head is at {head_seq}, records {last_seq + 1}..{head_seq} deleted",
            )
        )
    elif prev != head_hash:
        report.problems.append(
            Problem(_where(last_seq), "does not match the chain head's hash (replaced)")
        )
    _compare_derived(conn, convs, events, report)
    return digests, erasures


def _compare_derived(
    conn: Connection,
    convs: dict[str, dict[str, Any]],
    events: dict[int, dict[str, Any]],
    report: Report,
) -> None:
    table_convs = {
        r["subject_id"]: dict(r) for r in conn.execute(sa.select(models.conversation)).mappings()
    }
    for sid in sorted(set(convs) | set(table_convs)):
        want, have = convs.get(sid), table_convs.get(sid)
        if want is None:
            report.problems.append(
                Problem(f"audit_conversation {sid}", "summary without any record in the chain")
            )
        elif have is None:
            report.problems.append(
                Problem(
                    f"audit_conversation {sid}", "summary missing for a conversation in the chain"
                )
            )
        else:
            diff = [k for k in want if want[k] != have.get(k)]
            if diff:
                k = diff[0]
                report.problems.append(
                    Problem(
                        f"audit_conversation {sid}",
                        f"summary disagrees with the chain ({k}: table {have.get(k)!r}, chain {want[k]!r})",
                    )
                )
    table_events = {
        int(r["record_seq"]): dict(r)
        for r in conn.execute(sa.select(models.safety_event)).mappings()
    }
    for seq in sorted(set(events) | set(table_events)):
        want, have = events.get(seq), table_events.get(seq)
        if want is None or have is None or any(want[k] != have.get(k) for k in want):
            report.problems.append(
                Problem(
                    f"audit_safety_event {seq}", "safety register entry disagrees with the chain"
                )
            )


def _verify_access(conn: Connection, head: Any, report: Report) -> None:
    acc = models.access
    anchor_seq, anchor_hash = int(head.anchor_seq), str(head.anchor_hash)
    if anchor_seq:
        # Retention removed the oldest access rows; the purge record that did so (in the
        # other chain) must vouch for where this chain now starts.
        vouched = None
        for row in conn.execute(
            sa.select(models.record.c.detail)
            .where(models.record.c.kind == "purge")
            .order_by(models.record.c.seq)
        ):
            anchor = _detail(row.detail).get("access_anchor")
            if anchor:
                vouched = (anchor.get("seq"), anchor.get("hash"))
        if vouched != (anchor_seq, anchor_hash):
            report.problems.append(
                Problem("audit_access", "start of the access log moved without a retention record")
            )
    expected, prev, last_seq = anchor_seq + 1, anchor_hash, anchor_seq
    for row in _pages(conn, acc, 0):
        seq = int(row["seq"])
        where = f"audit_access seq {seq}"
        report.access_records += 1
        if seq > expected:
            report.problems.append(
                Problem(f"audit_access seq {expected}", f"missing: deleted (next present is {seq})")
            )
        elif seq < expected:
            report.problems.append(Problem(where, "before the access log's retention anchor"))
        elif row["prev_hash"] != prev:
            report.problems.append(
                Problem(where, f"does not link to entry {seq - 1} (inserted or replaced)")
            )
        if chain.link_hash("access", row["prev_hash"], row) != row["record_hash"]:
            report.problems.append(Problem(where, "altered: its fields no longer match its hash"))
        prev, expected, last_seq = row["record_hash"], seq + 1, seq
    report.access_head = (last_seq, prev)
    if last_seq != int(head.seq) or prev != str(head.hash):
        report.problems.append(
            Problem(
                "audit_access",
                f"chain ends at {last_seq} but its head says {int(head.seq)} (entries inserted or deleted)",
            )
        )


def _verify_subjects(
    conn: Connection,
    store: AuditStore,
    report: Report,
    digests: dict[str, str],
    erasures: dict[str, int],
    check_keys: bool,
) -> None:
    seen = set()
    mk: crypto.MasterKey | None = store.master_key if check_keys else None
    key_mismatch = 0
    for row in conn.execute(sa.select(models.subject)).mappings():
        sid = row["subject_id"]
        seen.add(sid)
        where = f"audit_subject {sid}"
        if sid in digests and digests[sid] != row["sender_digest"]:
            report.problems.append(
                Problem(where, "sender link differs from the one its records commit to")
            )
        if row["sender_id"] is not None:
            if (
                row["sender_salt"] is None
                or sender_digest(bytes(row["sender_salt"]), row["sender_id"])
                != row["sender_digest"]
            ):
                report.problems.append(
                    Problem(where, "sender id altered (no longer matches its digest)")
                )
            if sid in erasures:
                report.problems.append(
                    Problem(where, "has an erasure record but still names its sender")
                )
        elif row["erased_us"] is None or sid not in erasures:
            report.problems.append(Problem(where, "sender removed without an erasure record"))
        if mk is not None and row["wrapped_key"] is not None:
            if row["master_key_id"] != mk.key_id:
                key_mismatch += 1
            else:
                try:
                    mk.unwrap(bytes(row["wrapped_key"]), sid)
                except crypto.KeyError_:
                    report.problems.append(Problem(where, "wrapped data key altered"))
    for sid in sorted(set(digests) - seen):
        report.problems.append(Problem(f"audit_subject {sid}", "missing for records in the chain"))
    if key_mismatch:
        report.notes.append(
            f"{key_mismatch} data key(s) wrapped by another master key were not checked"
        )
    if mk is None:
        report.notes.append("wrapped data keys not checked (no master key)")
