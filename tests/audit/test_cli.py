"""Command line: usage, users, errors with clear messages and the right exit codes."""

from __future__ import annotations

import io

import pytest


def test_usage_errors_exit_2(h, sqlite_settings, capsys):
    assert h.run_cli(capsys, "export")[0] == 2  # --format is required
    assert h.run_cli(capsys, "export", "--format", "xml")[0] == 2
    assert h.run_cli(capsys, "nope")[0] == 2
    assert h.run_cli(capsys)[0] == 2
    assert h.run_cli(capsys, "--help")[0] == 0


def test_users_add_list_disable(h, sqlite_settings, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    code, out, err = h.run_cli(
        capsys, "users", "add", "Dr.Smith", "--role", "safety_officer", "--password-stdin"
    )
    assert code == 0 and "dr.smith" in out, err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = h.run_cli(
        capsys, "users", "add", "other", "--role", "clinician", "--password-stdin"
    )
    assert code == 1 and "at least 12" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    code, _, err = h.run_cli(
        capsys, "users", "add", "dr.smith", "--role", "clinician", "--password-stdin"
    )
    assert code == 1 and "already exists" in err
    code, _, err = h.run_cli(capsys, "users", "add", "x", "--role", "clinician", "--password-stdin")
    assert code == 1 and "user names" in err
    code, out, _ = h.run_cli(capsys, "users", "list")
    assert "dr.smith" in out and "safety_officer" in out and "active" in out
    assert h.run_cli(capsys, "users", "disable", "dr.smith")[0] == 0
    assert "disabled" in h.run_cli(capsys, "users", "list")[1]
    code, _, err = h.run_cli(capsys, "users", "disable", "ghost")
    assert code == 1 and "no user" in err


def test_password_needs_stdin_flag_without_terminal(h, sqlite_settings, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = h.run_cli(capsys, "users", "add", "someone", "--role", "admin")
    assert code == 2 and "--password-stdin" in err


@pytest.mark.parametrize(
    "args,message",
    [
        (("list", "--level", "panic"), "level must be one of"),
        (("list", "--from", "31/01/2025"), "from must be a date"),
        (("list", "--from", "2025-02-01", "--to", "2025-01-01"), "'to' is before 'from'"),
        (("list", "--channel", "web'; DROP TABLE audit_record;--"), "channel is a short name"),
        (("show", "x", "--json"), "no conversation"),
    ],
)
def test_bad_input_gets_a_clear_error(h, sqlite_settings, capsys, args, message):
    code, _, err = h.run_cli(capsys, *args)
    assert code == 1 and message in err


def test_unreachable_database_is_a_clear_error(h, sqlite_settings, capsys):
    code, _, err = h.run_cli(capsys, "--db", "postgresql://postgres:secret@127.0.0.1:1/x", "list")
    assert code == 1 and "audit database" in err and "secret" not in err


def test_access_log_fhir(h, fed_store, capsys):
    import json

    h.run_cli(capsys, "list", "--search", "07700 900123")
    code, out, _ = h.run_cli(capsys, "access-log", "--format", "fhir")
    events = [json.loads(line) for line in out.splitlines()]
    search = [e for e in events if e["subtype"][0]["code"] == "search"][-1]
    assert (
        search["resourceType"] == "AuditEvent"
        and search["action"] == "E"
        and search["outcome"] == "0"
    )
    assert search["type"]["code"] == "110112"
    assert "07700" not in json.dumps(search)  # the search text is kept redacted
    assert search["agent"][0]["who"]["display"].startswith("os:")
