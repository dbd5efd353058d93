"""``python -m bot audit ...``: users, list, show, export, verify, erase, purge, hold, access-log.

Exit codes: 0 done, 1 failed (verify found a problem, bad data, refused), 2 usage.
Every read of patient data here is recorded in the access log as the OS user.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import sys
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["main"]

logger = logging.getLogger(__name__)


class _Usage(Exception):
    """Bad arguments that argparse cannot catch; exit 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot audit", description="Clinician audit log.")
    p.add_argument(
        "--db", metavar="URL", help="audit database URL (default: AUDIT_DB_URL or var/audit.db)"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("migrate", help="upgrade the database schema to the newest version")

    users = sub.add_parser("users", help="clinician accounts").add_subparsers(
        dest="users_command", metavar="ACTION"
    )
    users.required = True
    add = users.add_parser(
        "add", help="add a user (password from the terminal, or stdin with --password-stdin)"
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("clinician", "safety_officer", "admin"))
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    users.add_parser("list", help="list users")
    for name, text in (
        ("disable", "disable a user (signs them out)"),
        ("enable", "enable a user again"),
    ):
        users.add_parser(name, help=text).add_argument("username")
    pw = users.add_parser("passwd", help="set a user's password")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")

    def filters(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--from", dest="date_from", metavar="DATE", help="conversations active on or after DATE"
        )
        q.add_argument(
            "--to", dest="date_to", metavar="DATE", help="conversations active on or before DATE"
        )
        q.add_argument("--channel", help="web, telegram, rest, ...")
        q.add_argument(
            "--level", help="highest safety level: none, support, crisis, emergency, unscreened"
        )
        q.add_argument("--status", help="review status: new, reviewed, flagged, resolved")
        q.add_argument(
            "--search", metavar="TEXT", help="text in messages or notes, or in the sender id"
        )

    ls = sub.add_parser("list", help="list conversations")
    filters(ls)
    ls.add_argument("--page", type=int, default=1)
    ls.add_argument("--json", action="store_true", help="one JSON object per conversation")

    show = sub.add_parser("show", help="show one conversation (ID or sender id)")
    show.add_argument("id")
    show.add_argument(
        "--unredacted", action="store_true", help="show contact details (recorded, give --reason)"
    )
    show.add_argument(
        "--reason", help="why the unredacted text is needed (recorded in the access log)"
    )
    show.add_argument("--json", action="store_true")

    ex = sub.add_parser("export", help="export messages (redacted unless --unredacted)")
    ex.add_argument("--format", required=True, choices=("csv", "jsonl"))
    ex.add_argument("--since", metavar="DATE", help="messages on or after DATE (YYYY-MM-DD)")
    ex.add_argument("--until", metavar="DATE", help="messages on or before DATE")
    ex.add_argument(
        "--unredacted",
        action="store_true",
        help="keep contact details (recorded in the access log)",
    )
    ex.add_argument("--reason", help="why (recorded in the access log)")
    ex.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE (created 0600) instead of stdout"
    )
    filters(ex)

    v = sub.add_parser("verify", help="check the hash chains and everything derived from them")
    v.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="a head printed by an earlier run",
    )
    v.add_argument("--json", action="store_true")
    v.add_argument("--no-keys", action="store_true", help="do not open the wrapped data keys")

    er = sub.add_parser(
        "erase",
        help="GDPR erasure of one person (their text, their sender link, Rasa's tracker rows)",
    )
    er.add_argument("--sender", required=True, metavar="ID")
    er.add_argument("--reason", help="recorded in the access log")
    er.add_argument("--yes", action="store_true", help="do not ask for confirmation at a terminal")

    pu = sub.add_parser(
        "purge", help="apply retention (AUDIT_RETENTION); nothing under legal hold is touched"
    )
    pu.add_argument("--dry-run", action="store_true", help="count only")

    hold = sub.add_parser("hold", help="place or release a legal hold on a conversation")
    hold.add_argument("id", help="conversation id or sender id")
    group = hold.add_mutually_exclusive_group(required=True)
    group.add_argument("--on", action="store_true")
    group.add_argument("--off", action="store_true")
    hold.add_argument("--reason", required=True)

    al = sub.add_parser("access-log", help="print the access log")
    al.add_argument(
        "--format",
        choices=("table", "fhir"),
        default="table",
        help="fhir: one FHIR AuditEvent per line",
    )
    al.add_argument("--limit", type=int, default=100)
    return p


def _settings() -> Any:
    from bot import settings as settings_mod

    return settings_mod.load()


@contextlib.contextmanager
def _store(args: argparse.Namespace, *, drain: bool = True) -> Iterator[Any]:
    from bot.audit.store import open_store
    from bot.audit.writer import drain_leftovers

    settings = _settings()
    store = open_store(args.db or settings.audit_db_url, settings=settings)
    try:
        if drain:
            n = drain_leftovers(settings.state_dir / "audit-spool", store.master_key, store)
            if n:
                print(
                    f"note: wrote {n} record(s) left in the spool by a stopped server",
                    file=sys.stderr,
                )
        yield store
    finally:
        store.close()


def _who() -> tuple[str, str]:
    from bot.audit import access_log

    return access_log.cli_agent(), access_log.cli_source()


def _log(store: Any, type_key: str, subtype: str, action: str, **kw: Any) -> None:
    from bot.audit import access_log

    who, source = _who()
    store.log_access(
        [access_log.make(type_key, subtype, action, who=who, source=source, role="cli", **kw)]
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise _Usage("no terminal to ask for a password: pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise _Usage("the passwords differ")
    return first


def _filter(args: argparse.Namespace) -> Any:
    from bot.audit.queries import parse_filter

    return parse_filter(
        {
            "from": args.date_from or "",
            "to": args.date_to or "",
            "channel": args.channel or "",
            "level": args.level or "",
            "status": args.status or "",
            "q": args.search or "",
        }
    )


def _cmd_migrate(args: argparse.Namespace) -> int:
    from bot.audit.store import current_revision, make_engine, migrate, redacted_url

    url = args.db or _settings().audit_db_url
    engine = make_engine(url)
    try:
        migrate(engine)
        print(f"audit schema at revision {current_revision(engine)} in {redacted_url(url)}")
    finally:
        engine.dispose()
    return 0


def _cmd_users(args: argparse.Namespace) -> int:
    from bot.audit import users

    who, source = _who()
    with _store(args, drain=False) as store:
        if args.users_command == "add":
            user = users.add_user(
                store,
                args.username,
                _read_password(args.password_stdin),
                args.role,
                actor=who,
                source=source,
            )
            print(f"added {user.username} ({user.role})")
        elif args.users_command == "list":
            rows = users.list_users(store)
            if not rows:
                print("no users yet: python -m bot audit users add NAME --role admin")
            for u in rows:
                from bot.audit.queries import iso

                state = "disabled" if u.disabled else "active"
                print(
                    f"{u.username:24} {u.role:15} {state:9} last sign-in {iso(u.last_login_us) or 'never'}"
                )
        elif args.users_command in ("disable", "enable"):
            users.set_disabled(
                store, args.username, args.users_command == "disable", actor=who, source=source
            )
            print(f"{args.username}: {args.users_command}d")
        elif args.users_command == "passwd":
            users.set_password(
                store, args.username, _read_password(args.password_stdin), actor=who, source=source
            )
            print(f"{args.username}: password set (their sessions were signed out)")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from bot.audit import queries

    f = _filter(args)
    with _store(args) as store:
        page = queries.list_conversations(store, f, page=args.page)
        _log(
            store,
            "query",
            "search",
            "E",
            what="Conversation",
            query=f.for_log(),
            detail={"results": page.total},
        )
    for c in page.items:
        if args.json:
            print(json.dumps({k: c[k] for k in ("subject_id", "sender_id", "channel", "n_messages", "status", "legal_hold", "erased", "safety_events")}
                             | {"first": queries.iso(c["first_us"]), "last": queries.iso(c["last_us"]), "highest_level": c["max_level_name"]}))  # fmt: skip
        else:
            flags = ("H" if c["legal_hold"] else "-") + ("E" if c["erased"] else "-")
            print(
                f"{c['subject_id']}  {queries.iso(c['last_us']) or '-':24}  {c['channel'] or '-':9} {c['n_messages']:4} msg  "
                f"{c['max_level_name']:10} {c['status']:9} {flags}  {c['sender_id'] or '(erased)'}"
            )
    if not args.json:
        more = " (search stopped early: narrow the filters)" if page.truncated_search else ""
        print(
            f"-- {page.total} conversation(s), page {page.page} of {page.pages}{more}",
            file=sys.stderr,
        )
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from bot.audit import queries
    from bot.audit.redact import redact

    with _store(args) as store:
        sid = queries.find_conversation(store, args.id)
        if sid is None:
            print(f"error: no conversation {args.id!r}", file=sys.stderr)
            return 1
        t = queries.transcript(store, sid)
        assert t is not None
        detail: dict[str, Any] = {"unredacted": bool(args.unredacted)}
        if args.reason:
            detail["reason"] = redact(args.reason)[:500]
        _log(
            store,
            "read",
            "reveal" if args.unredacted else "read",
            "R",
            what=f"Conversation/{sid}",
            detail=detail,
        )

    def text_of(e: dict[str, Any]) -> str | None:
        raw = e["text"] if e["kind"] in ("user", "bot") else e["note"]
        if raw is None or args.unredacted:
            return raw
        return redact(raw, keep_helplines=e["kind"] == "bot")

    if args.json:
        print(json.dumps({"conversation": t.conversation, "sender_id": t.sender_id,
                          "entries": [{**e, "text": text_of(e) if e["kind"] in ("user", "bot") else None,
                                       "note": text_of(e) if e["kind"] not in ("user", "bot") else None,
                                       "matched": [] if not args.unredacted else e["matched"]} for e in t.entries]},
                         ensure_ascii=False, default=str))  # fmt: skip
        return 0
    c = t.conversation
    print(
        f"conversation {sid}  sender {t.sender_id or '(erased)'}  status {c['status']}"
        + ("  LEGAL HOLD" if c["legal_hold"] else "")
    )
    for e in t.entries:
        when = e["time"]
        if e["kind"] in ("user", "bot"):
            body = text_of(e) if e["payload_state"] == "ok" else "[text removed]"
            tag = e["level"] or ("unscreened" if e["kind"] == "user" else "-")
            rules = ", ".join(f"{r.get('detector')}/{r.get('rule')}" for r in e["reasons"])
            extra = f" [{rules}]" if rules else ""
            print(f"{when}  {e['kind']:4} {tag:10}{extra}  {body}")
        else:
            note = text_of(e)
            print(
                f"{when}  -- {e['kind']} by {e['actor'] or 'system'} {json.dumps(e['detail'])}"
                + (f": {note}" if note else "")
            )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from bot.audit import export, queries
    from bot.audit.redact import redact

    f = _filter(args)
    since = queries.parse_date(args.since, "--since") if args.since else None
    until = queries.parse_date(args.until, "--until") if args.until else None
    with _store(args) as store, contextlib.ExitStack() as stack:
        out: IO[str] = sys.stdout
        if args.output:
            import os

            fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            out = stack.enter_context(open(fd, "w", encoding="utf-8", newline=""))
        count = export.write(
            export.rows(store, f, unredacted=args.unredacted, since=since, until=until),
            out,
            args.format,
        )
        out.flush()
        query = f.for_log() | {
            k: v.isoformat() for k, v in (("since", since), ("until", until)) if v
        }
        detail: dict[str, Any] = {
            "format": args.format,
            "rows": count,
            "redacted": not args.unredacted,
        }
        if args.reason:
            detail["reason"] = redact(args.reason)[:500]
        _log(
            store,
            "export",
            "export-unredacted" if args.unredacted else "export",
            "R",
            what="Conversation",
            query=query,
            detail=detail,
        )
    print(f"exported {count} message(s){' UNREDACTED' if args.unredacted else ''}", file=sys.stderr)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from bot.audit.verify import parse_expect, verify

    try:
        expect = [parse_expect(e) for e in args.expect]
    except ValueError as exc:
        raise _Usage(str(exc)) from None
    with _store(args) as store:
        report = verify(store, check_keys=not args.no_keys, expect=expect)
        _log(store, "security", "verify", "E", outcome="success" if report.ok else "serious",
             what="AuditChain", detail={"ok": report.ok, "problems": len(report.problems)})  # fmt: skip
    if args.json:
        print(json.dumps(report.as_dict()))
        return 0 if report.ok else 1
    for note in report.notes:
        print(f"note: {note}")
    if report.ok:
        seq, h = report.record_head
        print(
            f"OK: {report.records} records and {report.access_records} access-log entries verified in {report.seconds:.2f}s"
        )
        print(f"record chain head {seq}:{h}  (keep it elsewhere; later: verify --expect {seq}:{h})")
        return 0
    first = report.problems[0]
    print(f"FAILED: first broken record: {first}")
    for p in report.problems[1:20]:
        print(f"  also: {p}")
    if len(report.problems) > 20:
        print(f"  ... and {len(report.problems) - 20} more")
    return 1


def _cmd_erase(args: argparse.Namespace) -> int:
    from bot.audit.erasure import channel_erasers, erase_sender

    if sys.stdin.isatty() and not args.yes:
        typed = input(
            f"Erase everything stored about {args.sender!r}? Type the sender id again to confirm: "
        )
        if typed.strip() != args.sender:
            print("not erased")
            return 1
    settings = _settings()
    who, source = _who()
    with _store(args) as store:
        result = erase_sender(
            store,
            args.sender,
            actor=who,
            source=source,
            via="cli",
            reason=args.reason,
            tracker_db_url=settings.tracker_db_url,
            channel_erasers=channel_erasers(settings),
        )
    if result.status == "held":
        print(
            f"refused: conversation {result.subject_id} is under legal hold (GDPR art. 17(3)(e)); release the hold first"
        )
        return 1
    if result.status == "not_found":
        print(
            f"nothing stored in the audit for {args.sender!r}; {result.tracker_rows} tracker row(s) deleted; future spooled records from before now will be dropped"
        )
        return 0
    print(
        f"erased conversation {result.subject_id}: {result.records} text(s) destroyed, data key and sender link removed, {result.tracker_rows} tracker row(s) deleted"
    )
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    from bot.audit.retention import parse_policy, purge

    policy = parse_policy(_settings().audit_retention)
    who, source = _who()
    with _store(args) as store:
        summary = purge(store, policy, actor=who, source=source, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    days = ", ".join(f"{k}={v or 'keep'}" for k, v in policy.items())
    texts = (
        ", ".join(f"{k}: {v}" for k, v in summary["records"].items()) or "none (all kept for ever)"
    )
    print(f"retention ({days} days): {verb} text of {texts}; {summary['access_rows']} access-log entries; "
          f"{summary['held_conversations']} conversation(s) under legal hold untouched")  # fmt: skip
    return 0


def _cmd_hold(args: argparse.Namespace) -> int:
    from bot.audit import queries, review

    who, source = _who()
    with _store(args) as store:
        sid = queries.find_conversation(store, args.id)
        if sid is None:
            print(f"error: no conversation {args.id!r}", file=sys.stderr)
            return 1
        review.set_legal_hold(
            store, sid, bool(args.on), args.reason, actor=who, role="admin", source=source
        )
    print(f"conversation {sid}: legal hold {'placed' if args.on else 'released'}")
    return 0


def _cmd_access_log(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from bot.audit import access_log, models, queries

    with _store(args, drain=False) as store:
        with store.engine.connect() as conn:
            acc = models.access
            rows = (
                conn.execute(sa.select(acc).order_by(acc.c.seq.desc()).limit(max(1, args.limit)))
                .mappings()
                .all()
            )
        _log(store, "read", "access-log", "R", what="AuditEvent", detail={"rows": len(rows)})
    for row in reversed(rows):
        if args.format == "fhir":
            print(json.dumps(access_log.to_fhir(row), ensure_ascii=False))
        else:
            print(f"{row['seq']:6} {queries.iso(row['recorded_us'])} {row['action']} {row['subtype']:18} outcome={row['outcome']:<2} "
                  f"{row['agent_who']:20} {row['entity_what'] or ''} {row['entity_query'] or ''} {row['detail'] or ''}")  # fmt: skip
    return 0


_COMMANDS = {
    "migrate": _cmd_migrate,
    "users": _cmd_users,
    "list": _cmd_list,
    "show": _cmd_show,
    "export": _cmd_export,
    "verify": _cmd_verify,
    "erase": _cmd_erase,
    "purge": _cmd_purge,
    "hold": _cmd_hold,
    "access-log": _cmd_access_log,
}


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, usage errors are 2
        return int(exc.code or 0)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from sqlalchemy.exc import SQLAlchemyError

    from bot.audit.crypto import KeyError_
    from bot.audit.queries import FilterError
    from bot.audit.review import ReviewError
    from bot.audit.users import UserError

    try:
        return _COMMANDS[args.command](args)
    except _Usage as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FilterError, UserError, ReviewError, KeyError_, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        from bot.audit.store import redacted_url

        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        print(
            f"error: audit database ({redacted_url(args.db or _settings().audit_db_url)}): {first}",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:  # `export | head`
        return 0
