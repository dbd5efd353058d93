"""Tamper tests: edit, insert or delete a row by hand -> verify fails and names it."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bot.audit import chain, models
from bot.audit.verify import verify

rec = models.record


def _row(store, seq):
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.select(rec).where(rec.c.seq == seq)).mappings().one())


def _exec(store, stmt):
    with store.engine.begin() as conn:
        conn.execute(stmt)


def _first(store):
    report = verify(store)
    assert not report.ok, "verify should have failed"
    return str(report.problems[0])


def _user_seq(h, store, sender="telegram:100200300"):
    return h.sender_seqs(store, sender, "user")[0]


def test_intact_chain_verifies(h, fed_store, capsys):
    assert verify(fed_store).ok
    code, out, _ = h.run_cli(capsys, "verify")
    assert code == 0 and "OK" in out


@pytest.mark.parametrize(
    "column,value",
    [
        ("level", "none"),
        ("channel", "web"),
        ("event_us", 1),
        ("reasons", "[]"),
        ("helplines", '["x"]'),
        ("kind", "bot"),
    ],
)
def test_edited_field_is_named(h, fed_store, column, value):
    seq = _user_seq(h, fed_store)
    _exec(fed_store, sa.update(rec).where(rec.c.seq == seq).values(**{column: value}))
    assert _first(fed_store).startswith(f"audit_record seq {seq} ")
    assert "altered" in _first(fed_store)


def test_edited_ciphertext_is_named(h, fed_store):
    seq = _user_seq(h, fed_store)
    blob = bytearray(_row(fed_store, seq)["ciphertext"])
    blob[-1] ^= 1
    _exec(fed_store, sa.update(rec).where(rec.c.seq == seq).values(ciphertext=bytes(blob)))
    assert f"seq {seq} " in _first(fed_store) and "encrypted text altered" in _first(fed_store)


def test_text_removed_without_erasure_is_named(h, fed_store):
    seq = _user_seq(h, fed_store)
    _exec(fed_store, sa.update(rec).where(rec.c.seq == seq).values(ciphertext=None))
    assert f"seq {seq} " in _first(fed_store) and "without an erasure" in _first(fed_store)


def test_deleted_middle_row_is_named(h, fed_store):
    seq = _user_seq(h, fed_store)
    _exec(fed_store, sa.delete(rec).where(rec.c.seq == seq))
    msg = _first(fed_store)
    assert msg.startswith(f"audit_record seq {seq}:") and "deleted" in msg


def test_deleted_last_row_is_named(h, fed_store):
    with fed_store.engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(rec.c.seq))).scalar()
    _exec(fed_store, sa.delete(rec).where(rec.c.seq == last))
    assert _first(fed_store).startswith(f"audit_record seq {last}:")


def test_inserted_row_after_head_is_named(h, fed_store):
    """Even a row with a correctly computed link: the head pins the end of the chain."""
    with fed_store.engine.connect() as conn:
        last = dict(
            conn.execute(sa.select(rec).order_by(rec.c.seq.desc()).limit(1)).mappings().one()
        )
    forged = dict(last, seq=last["seq"] + 1, uuid="f" * 32, prev_hash=last["record_hash"])
    forged["record_hash"] = chain.link_hash("record", forged["prev_hash"], forged)
    _exec(fed_store, sa.insert(rec).values(**forged))
    msg = _first(fed_store)
    assert msg.startswith(f"audit_record seq {forged['seq']}:") and "inserted" in msg


def test_inserted_row_in_the_middle_is_named(h, fed_store):
    seq = _user_seq(h, fed_store)
    with fed_store.engine.begin() as conn:
        later = [
            dict(r)
            for r in conn.execute(
                sa.select(rec).where(rec.c.seq > seq).order_by(rec.c.seq)
            ).mappings()
        ]
        conn.execute(sa.delete(rec).where(rec.c.seq > seq))
        before = dict(conn.execute(sa.select(rec).where(rec.c.seq == seq)).mappings().one())
        forged = dict(
            before, seq=seq + 1, uuid="e" * 32, level="none", prev_hash=before["record_hash"]
        )
        forged["record_hash"] = chain.link_hash("record", forged["prev_hash"], forged)
        conn.execute(sa.insert(rec).values(**forged))
        for row in later:
            conn.execute(sa.insert(rec).values(**dict(row, seq=row["seq"] + 1)))
    msg = _first(fed_store)
    # The forged row links correctly; the next one does not, and says why.
    assert msg.startswith(f"audit_record seq {seq + 2} ") and "inserted" in msg


def test_garbage_row_inserted_is_named(h, fed_store):
    with fed_store.engine.connect() as conn:
        last = dict(
            conn.execute(sa.select(rec).order_by(rec.c.seq.desc()).limit(1)).mappings().one()
        )
    _exec(fed_store, sa.insert(rec).values(**dict(last, seq=last["seq"] + 1, uuid="d" * 32)))
    assert _first(fed_store).startswith(f"audit_record seq {last['seq'] + 1} ")


def test_edited_summary_and_register_are_caught(h, fed_store):
    seq = _user_seq(h, fed_store)
    with fed_store.engine.connect() as conn:
        sid = conn.execute(sa.select(rec.c.subject_id).where(rec.c.seq == seq)).scalar()
    _exec(
        fed_store,
        sa.update(models.conversation)
        .where(models.conversation.c.subject_id == sid)
        .values(status="resolved"),
    )
    assert f"audit_conversation {sid}" in _first(fed_store) and "status" in _first(fed_store)
    _exec(
        fed_store,
        sa.update(models.conversation)
        .where(models.conversation.c.subject_id == sid)
        .values(status="new"),
    )
    _exec(
        fed_store,
        sa.update(models.safety_event)
        .where(models.safety_event.c.record_seq == seq)
        .values(confirmation="false_alarm"),
    )
    assert (
        _first(fed_store)
        == f"audit_safety_event {seq}: safety register entry disagrees with the chain"
    )


def test_reattributed_conversation_is_caught(h, fed_store):
    _exec(
        fed_store,
        sa.update(models.subject)
        .where(models.subject.c.sender_id == "web:bob22")
        .values(sender_id="web:someone-else"),
    )
    assert "sender id altered" in _first(fed_store)


def test_swapped_wrapped_key_is_caught(h, fed_store):
    with fed_store.engine.connect() as conn:
        keys = list(
            conn.execute(
                sa.select(models.subject.c.subject_id, models.subject.c.wrapped_key).limit(2)
            )
        )
    _exec(
        fed_store,
        sa.update(models.subject)
        .where(models.subject.c.subject_id == keys[0][0])
        .values(wrapped_key=keys[1][1]),
    )
    assert "wrapped data key altered" in _first(fed_store)


def test_access_log_edit_and_delete_are_caught(h, fed_store, capsys):
    for _ in range(3):
        h.run_cli(capsys, "list")
    acc = models.access
    _exec(fed_store, sa.update(acc).where(acc.c.seq == 2).values(agent_who="someone"))
    assert _first(fed_store) == "audit_access seq 2: altered: its fields no longer match its hash"
    _exec(fed_store, sa.update(acc).where(acc.c.seq == 2).values(agent_who="os:x"))
    _exec(fed_store, sa.delete(acc).where(acc.c.seq == 2))
    assert _first(fed_store).startswith("audit_access seq 2: missing")


def test_cli_names_first_broken_record_and_exits_1(h, fed_store, capsys):
    seq = _user_seq(h, fed_store)
    _exec(fed_store, sa.update(rec).where(rec.c.seq == seq).values(level="support"))
    code, out, _ = h.run_cli(capsys, "verify")
    assert code == 1
    assert out.startswith(f"FAILED: first broken record: audit_record seq {seq} (")
    code, out, _ = h.run_cli(capsys, "verify", "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_full_rewrite_needs_an_external_anchor(h, fed_store, capsys):
    """The documented limit: someone who rewrites the whole chain (recomputing every hash
    and the head) passes a plain verify; a head kept elsewhere (--expect) catches it."""
    code, out, _ = h.run_cli(capsys, "verify")
    anchor = out.split("verify --expect ")[1].split(")")[0]
    seq = _user_seq(h, fed_store)
    with fed_store.engine.begin() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(rec).order_by(rec.c.seq)).mappings()]
        prev = chain.GENESIS
        for row in rows:
            if row["seq"] == seq:
                row["level"] = "none"
            row["prev_hash"] = prev
            row["record_hash"] = prev = chain.link_hash("record", prev, row)
            conn.execute(
                sa.update(rec)
                .where(rec.c.seq == row["seq"])
                .values(
                    prev_hash=row["prev_hash"], record_hash=row["record_hash"], level=row["level"]
                )
            )
        conn.execute(
            sa.update(models.chain_head)
            .where(models.chain_head.c.chain == "record")
            .values(hash=prev)
        )
        conn.execute(sa.delete(models.safety_event).where(models.safety_event.c.record_seq == seq))
        conn.execute(
            sa.update(models.conversation)
            .where(models.conversation.c.subject_id == rows[seq - 1]["subject_id"])
            .values(max_level=0)
        )
    assert verify(fed_store).ok  # undetectable from inside the database
    code, out, _ = h.run_cli(capsys, "verify", "--expect", anchor)
    assert code == 1 and "rewritten" in out
    code, _, err = h.run_cli(capsys, "verify", "--expect", "nonsense")
    assert code == 2 and "SEQ:HASH" in err
