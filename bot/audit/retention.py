"""Retention: after a configurable number of days, text goes; nothing under legal hold does.

``AUDIT_RETENTION`` sets days per record type (0 = keep for ever)::

    message=365,safety=2920,note=2920,access=2190

* ``message`` - text of ordinary messages (verdict none or support) and their replies;
* ``safety``  - text of crisis/emergency messages and the replies to them;
* ``note``    - clinicians' notes, review comments and hold reasons;
* ``access``  - access-log entries (deleted from the oldest; the chain re-anchors).

For records, purging destroys the text (ciphertext) and keeps the chained metadata,
like erasure: the safety register and weekly figures stay complete. Each purge is a
record in the chain stating its cut-off per type, which is what lets ``audit verify``
tell retention from tampering.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.audit import access_log, chain, models
from bot.audit.records import NewRecord, now_us
from bot.audit.store import AuditStore

__all__ = ["DEFAULT_DAYS", "parse_policy", "purge"]

DEFAULT_DAYS = {"message": 365, "safety": 2920, "note": 2920, "access": 2190}
_DAY_US = 86_400 * 1_000_000
_SESSION_KEEP_US = _DAY_US  # expired web sessions are removed a day after their last use


def parse_policy(spec: str | None) -> dict[str, int]:
    """Days per type from ``type=days,...``; unspecified types keep their defaults."""
    policy = dict(DEFAULT_DAYS)
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, days = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in policy:
            raise ValueError(
                f"AUDIT_RETENTION: {part!r} is not TYPE=DAYS with TYPE one of {', '.join(policy)}"
            )
        try:
            value = int(days.strip())
        except ValueError:
            raise ValueError(
                f"AUDIT_RETENTION: days for {name} must be a whole number, got {days.strip()!r}"
            ) from None
        if value < 0:
            raise ValueError(f"AUDIT_RETENTION: days for {name} cannot be negative")
        policy[name] = value
    return policy


def purge(
    store: AuditStore,
    policy: dict[str, int],
    *,
    actor: str,
    source: str,
    now: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Apply the policy; returns what was (or, with ``dry_run``, would be) removed."""
    now = now_us() if now is None else now
    rec, acc = models.record, models.access
    cutoffs = {
        cls: now - days * _DAY_US for cls, days in policy.items() if days > 0 and cls != "access"
    }
    summary: dict[str, Any] = {
        "dry_run": dry_run,
        "cutoffs": cutoffs,
        "records": {},
        "access_rows": 0,
    }
    with store.write() as conn:
        chain.lock_head(conn, "record")
        held = sa.select(models.conversation.c.subject_id).where(
            models.conversation.c.legal_hold.is_(True)
        )
        summary["held_conversations"] = len(conn.execute(held).all())
        for cls, cutoff in cutoffs.items():
            where = (
                rec.c.retention_class == cls,
                rec.c.event_us < cutoff,
                rec.c.ciphertext.isnot(None),
                sa.or_(rec.c.subject_id.is_(None), rec.c.subject_id.notin_(held)),
            )
            if dry_run:
                n = conn.execute(sa.select(sa.func.count()).select_from(rec).where(*where)).scalar()
            else:
                n = conn.execute(sa.update(rec).where(*where).values(ciphertext=None)).rowcount
            summary["records"][cls] = int(n or 0)

        anchor = None
        if policy.get("access", 0) > 0:
            access_cut = now - policy["access"] * _DAY_US
            chain.lock_head(conn, "access")
            last = conn.execute(
                sa.select(sa.func.max(acc.c.seq)).where(acc.c.recorded_us < access_cut)
            ).scalar()
            head_seq = conn.execute(
                sa.select(models.chain_head.c.anchor_seq).where(
                    models.chain_head.c.chain == "access"
                )
            ).scalar()
            if last is not None and last > (head_seq or 0):
                summary["access_rows"] = int(
                    conn.execute(
                        sa.select(sa.func.count()).select_from(acc).where(acc.c.seq <= last)
                    ).scalar()
                    or 0
                )
                if not dry_run:
                    anchor_hash = conn.execute(
                        sa.select(acc.c.record_hash).where(acc.c.seq == last)
                    ).scalar()
                    conn.execute(sa.delete(acc).where(acc.c.seq <= last))
                    conn.execute(
                        sa.update(models.chain_head)
                        .where(models.chain_head.c.chain == "access")
                        .values(anchor_seq=int(last), anchor_hash=anchor_hash)
                    )
                    anchor = {"seq": int(last), "hash": anchor_hash}
        if dry_run:  # nothing was written: only counts were taken
            return summary
        conn.execute(
            sa.delete(models.web_session).where(
                models.web_session.c.last_seen_us < now - _SESSION_KEEP_US
            )
        )
        detail: dict[str, Any] = {
            "cutoffs": cutoffs,
            "records": summary["records"],
            "access_rows": summary["access_rows"],
        }
        if anchor:
            detail["access_anchor"] = anchor
        store.append_in(conn, [NewRecord(kind="purge", event_us=now, actor=actor, detail=detail)])
        store.log_access_in(
            conn, [access_log.make("admin", "purge", "D", who=actor, source=source, detail=detail)]
        )
    return summary
