"""The whole flow on SQLite and PostgreSQL: Rasa events in, export / list / show / verify /
erase / purge out, through the real broker and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.audit import models, queries, retention, review
from bot.audit.erasure import erase_sender
from bot.audit.verify import verify


def _export(capsys, *extra):
    from bot.audit.cli import main

    capsys.readouterr()
    code = main(["export", "--format", "jsonl", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_export_has_every_message_with_its_level(h, fed_store, capsys):
    rows = _export(capsys)
    by = {(r["sender"], r["role"], r["level"]) for r in rows}
    assert ("telegram:100200300", "user", "crisis") in by
    assert ("rest-9d1e", "user", "emergency") in by
    assert ("web:4f1c2a", "user", "support") in by
    assert ("web:bob22", "user", "crisis") in by
    assert ("telegram:100200301", "user", None) in by  # unscreened stays visible as such
    assert len([r for r in rows if r["role"] == "user"]) == 8
    assert len([r for r in rows if r["role"] == "bot"]) == 8
    for r in rows:
        assert {"sender", "channel", "timestamp", "role", "text", "level", "reasons"} <= r.keys()
    rest = next(r for r in rows if r["sender"] == "rest-9d1e" and r["role"] == "user")
    assert rest["channel"] == "rest"  # no channel metadata: direct REST
    assert rest["reasons"][0]["rule"] == "overdose_taken"
    tg = next(r for r in rows if r["sender"] == "telegram:100200300" and r["role"] == "user")
    assert (
        tg["channel"] == "telegram"
        and tg["locale"] == "ru"
        and tg["text"] == "Я больше не хочу жить"
    )
    reply = next(r for r in rows if r["sender"] == "telegram:100200300" and r["role"] == "bot")
    assert reply["helplines"] == ["ru_trust_line"] and reply["utter_action"] == "utter_safety"
    assert reply["latency_ms"] is not None and reply["latency_ms"] > 0


def test_export_is_redacted_unless_asked(h, fed_store, capsys):
    text = json.dumps(_export(capsys), ensure_ascii=False)
    assert (
        "07700 900123" not in text
        and "bob@example.com" not in text
        and "@bob_the_builder" not in text
    )
    assert "[phone]" in text and "[email]" in text and "[handle]" in text
    assert "116 123" in text  # the helpline number in the assistant's reply stays checkable
    raw = json.dumps(
        _export(capsys, "--unredacted", "--reason", "court order 12"), ensure_ascii=False
    )
    assert "07700 900123" in raw and "bob@example.com" in raw
    with fed_store.engine.connect() as conn:
        subtypes = list(conn.execute(sa.select(models.access.c.subtype, models.access.c.agent_who)))
    assert ("export", subtypes[-2][1]) in subtypes and subtypes[-1][0] == "export-unredacted"
    assert subtypes[-1][1].startswith("os:")


def test_csv_export_and_since(h, fed_store, capsys, tmp_path: Path):
    out = tmp_path / "x.csv"
    code, _, err = h.run_cli(capsys, "export", "--format", "csv", "--output", str(out))
    assert code == 0, err
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    body = out.read_text(encoding="utf-8")
    assert body.splitlines()[0].startswith("conversation_id,seq,timestamp,sender")
    assert "'=HYPERLINK" in body  # formula injection neutralised
    code, out2, _ = h.run_cli(capsys, "export", "--format", "jsonl", "--since", "2999-01-01")
    assert code == 0 and out2 == ""
    code, _, err = h.run_cli(capsys, "export", "--format", "jsonl", "--since", "yesterday")
    assert code == 1 and "--since must be a date" in err


def test_verify_list_show(h, fed_store, capsys):
    code, out, _ = h.run_cli(capsys, "verify")
    assert code == 0 and out.startswith("OK:")
    code, out, _ = h.run_cli(capsys, "list", "--level", "crisis")
    assert code == 0
    assert "telegram:100200300" in out and "web:bob22" in out and "rest-9d1e" not in out
    code, out, _ = h.run_cli(capsys, "show", "rest-9d1e")
    assert code == 0 and "emergency" in out and "[phone]" in out and "07700" not in out
    code, out, err = h.run_cli(capsys, "show", "nobody")
    assert code == 1 and "no conversation" in err


def test_safety_register_and_weekly_counts(h, fed_store):
    page = queries.safety_events(fed_store)
    assert page.total == 3
    assert sorted(e["level"] for e in page.items) == ["crisis", "crisis", "emergency"]
    weeks = queries.weekly_counts(fed_store, 4)
    assert sum(w["crisis"] for w in weeks) == 2 and sum(w["emergency"] for w in weeks) == 1


def test_erasure_keeps_chain_and_drops_text_and_tracker_rows(h, fed_store, settings, capsys):
    tracker = sa.create_engine(settings.tracker_db_url)
    with tracker.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)"
        )
        conn.exec_driver_sql(
            "INSERT INTO events (sender_id, data) VALUES ('web:bob22', '{}'), ('web:bob22', '{}'), ('web:xss01', '{}')"
        )
    seqs = h.sender_seqs(fed_store, "web:bob22", "user")
    code, out, err = h.run_cli(
        capsys, "erase", "--sender", "web:bob22", "--reason", "patient asked"
    )
    assert code == 0, err
    assert "tracker row(s) deleted" in out and " 2 tracker" in out
    with tracker.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT sender_id FROM events")] == ["web:xss01"]
    assert verify(fed_store).ok
    rows = _export(capsys, "--unredacted")
    assert not [r for r in rows if r["sender"] == "web:bob22"]
    erased = [r for r in rows if r["seq"] in seqs]
    assert erased and all(
        r["text"] is None and r["text_state"] == "removed" and r["sender"] is None for r in erased
    )
    assert {r["level"] for r in erased} == {"none", "crisis"}  # de-identified safety metadata stays
    assert queries.safety_events(fed_store).total == 3
    # The erasure is itself on the record, and a second request finds nothing.
    with fed_store.engine.connect() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).where(models.record.c.kind == "erasure")
            ).scalar()
            == 1
        )
    code, out, _ = h.run_cli(capsys, "erase", "--sender", "web:bob22")
    assert code == 0 and "nothing stored" in out


def test_telegram_forget_uses_the_same_path(h, fed_store, settings):
    from bot import audit

    result = audit.erase_sender("telegram:100200300", via="telegram", settings=settings)
    assert result["status"] == "erased" and result["records"] >= 2
    assert (
        audit.erase_sender("telegram:100200300", via="telegram", settings=settings)["status"]
        == "not_found"
    )
    assert verify(fed_store).ok


def test_spooled_records_of_an_erased_sender_are_dropped(h, settings, store):
    """Said before /forget, still in the spool when the erasure ran: must not come back."""
    from bot.audit.broker import AuditEventBroker

    events = [e for e in h.load_events() if e["sender_id"] == "web:xss01"]
    broker = AuditEventBroker(settings=settings, start=False)  # writer not running: stays spooled
    broker.writer._spool.open()
    for e in events:
        broker.publish(e)
    assert broker.writer.backlog() > 0
    result = erase_sender(store, "web:xss01", actor="t", source="t", via="telegram")
    assert result.status == "not_found"
    assert broker.flush(10)
    broker.writer.stop()
    assert h.sender_seqs(store, "web:xss01") == []
    assert verify(store).ok


def test_legal_hold_blocks_erasure_and_purge(h, fed_store, capsys, monkeypatch):
    code, out, err = h.run_cli(
        capsys, "hold", "web:4f1c2a", "--on", "--reason", "complaint 2025-17"
    )
    assert code == 0, err
    code, out, _ = h.run_cli(capsys, "erase", "--sender", "web:4f1c2a")
    assert code == 1 and "legal hold" in out
    policy = retention.parse_policy("message=1,safety=1,note=1")
    far = int((__import__("time").time() + 10 * 86400) * 1e6)
    summary = retention.purge(fed_store, policy, actor="t", source="t", now=far)
    assert summary["records"]["message"] > 0
    rows = {r["seq"]: r for r in queries.iter_messages(fed_store, queries.Filter())}
    held = h.sender_seqs(fed_store, "web:4f1c2a")
    assert all(rows[s]["payload_state"] == "ok" for s in held if s in rows)
    others = [r for r in rows.values() if r["sender"] != "web:4f1c2a"]
    assert others and all(r["payload_state"] == "removed" for r in others)
    assert verify(fed_store).ok


def test_purge_respects_classes_and_reanchors_access_log(h, fed_store, capsys):
    h.run_cli(capsys, "list")  # some access-log entries
    now = int(__import__("time").time() * 1e6)
    day = 86_400 * 1_000_000
    policy = retention.parse_policy("message=1,safety=30,note=30,access=1")
    dry = retention.purge(fed_store, policy, actor="t", source="t", now=now + 2 * day, dry_run=True)
    assert (
        dry["records"]["message"] > 0 and dry["records"]["safety"] == 0 and dry["access_rows"] > 0
    )
    assert verify(fed_store).ok  # a dry run changes nothing
    done = retention.purge(fed_store, policy, actor="t", source="t", now=now + 2 * day)
    assert done["records"] == dry["records"]
    report = verify(fed_store)
    assert report.ok, report.problems
    kept = [
        r for r in queries.iter_messages(fed_store, queries.Filter()) if r["payload_state"] == "ok"
    ]
    assert kept and all(r["level"] in ("crisis", "emergency") for r in kept)
    # Moving the access log's anchor by hand is caught.
    with fed_store.engine.begin() as conn:
        conn.execute(
            sa.update(models.chain_head)
            .where(models.chain_head.c.chain == "access")
            .values(anchor_seq=0)
        )
    assert not verify(fed_store).ok


def test_purge_command_and_bad_policy(h, fed_store, capsys, monkeypatch):
    code, out, _ = h.run_cli(capsys, "purge", "--dry-run")
    assert code == 0 and "would remove" in out
    monkeypatch.setenv("AUDIT_RETENTION", "messages=abc")
    code, _, err = h.run_cli(capsys, "purge")
    assert code == 1 and "AUDIT_RETENTION" in err


def test_review_workflow_and_reopen(h, fed_store, settings):
    sid = queries.find_conversation(fed_store, "web:bob22")
    kw = {"actor": "dr.a", "role": "clinician", "source": "test"}
    review.change_status(fed_store, sid, "reviewed", note="seen, crisis reply correct", **kw)
    with pytest.raises(review.ReviewError):
        review.change_status(fed_store, sid, "resolved", **kw)  # reviewed -> resolved is not a step
    review.add_note(fed_store, sid, "called patient back", **kw)
    with pytest.raises(review.ReviewError):
        review.confirm_safety_event(
            fed_store, h.sender_seqs(fed_store, "web:bob22", "user")[-1], "confirmed", **kw
        )
    review.confirm_safety_event(fed_store, h.sender_seqs(fed_store, "web:bob22", "user")[-1], "confirmed",
                                actor="so", role="safety_officer", source="test")  # fmt: skip
    t = queries.transcript(fed_store, sid)
    assert t.conversation["status"] == "reviewed"
    assert [e["note"] for e in t.entries if e["kind"] == "note"] == ["called patient back"]
    # A new patient message re-opens the conversation.
    more = [
        e for e in h.load_events(0.01) if e["sender_id"] == "web:bob22" and e["event"] == "user"
    ][:1]
    h.feed(settings, more)
    assert queries.transcript(fed_store, sid).conversation["status"] == "new"
    report = verify(fed_store)
    assert report.ok, report.problems


def test_store_survives_reopen_and_second_migration(h, settings, fed_store):
    again = h.open_test_store(settings)
    try:
        assert verify(again).ok and verify(again).records == verify(fed_store).records
    finally:
        again.close()
