"""Read side for pages, CLI and exports: filters, conversation list, transcript, register, chart.

Filters are parsed into typed values here and only ever reach SQL as bound parameters.
Free-text search has to open the encrypted text, so it runs over the conversations
the other filters select and stops after ``SCAN_LIMIT`` messages (the page says so).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.audit import derive, models
from bot.audit.models import LEVELS, level_rank
from bot.audit.redact import redact
from bot.audit.store import AuditStore

__all__ = [
    "FilterError",
    "Filter",
    "parse_filter",
    "parse_date",
    "list_conversations",
    "find_conversation",
    "transcript",
    "iter_messages",
    "safety_events",
    "weekly_counts",
    "access_entries",
    "iso",
    "PAGE_SIZE",
    "SCAN_LIMIT",
]

PAGE_SIZE = 50
SCAN_LIMIT = 50_000
_CHANNEL = re.compile(r"^[a-z0-9_-]{1,32}$")
_SUBJECT = re.compile(r"^[0-9a-f]{32}$")
_DAY_US = 86_400 * 1_000_000


class FilterError(ValueError):
    """A filter value is not valid; the message names the field."""


def iso(us: int | None) -> str | None:
    if us is None:
        return None
    return (
        dt.datetime.fromtimestamp(us / 1e6, tz=dt.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _day_start_us(day: dt.date) -> int:
    return (
        int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
        * 1_000_000
    )


def parse_date(value: str, name: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(
            f"{name} must be a date like 2025-01-31, got {value.strip()[:40]!r}"
        ) from None


@dataclass(frozen=True)
class Filter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str | None = None
    level: str | None = None  # highest level in the conversation, or "unscreened"
    status: str | None = None
    text: str | None = None

    def as_params(self) -> dict[str, str]:
        """For links and forms (the same names parse_filter reads)."""
        out = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "channel": self.channel or "",
            "level": self.level or "",
            "status": self.status or "",
            "q": self.text or "",
        }
        return {k: v for k, v in out.items() if v}

    def for_log(self) -> dict[str, str]:
        """For the access log: the search text is redacted (it may be a phone number)."""
        params = self.as_params()
        if "q" in params:
            params["q"] = redact(params["q"])
        return params

    @property
    def conversation_level(self) -> bool:
        return any((self.date_from, self.date_to, self.channel, self.level, self.status, self.text))


def parse_filter(params: Mapping[str, str]) -> Filter:
    def get(name: str) -> str:
        value = params.get(name) or ""
        return value.strip() if isinstance(value, str) else ""

    date_from = parse_date(get("from"), "from") if get("from") else None
    date_to = parse_date(get("to"), "to") if get("to") else None
    if date_from and date_to and date_to < date_from:
        raise FilterError("'to' is before 'from'")
    channel = get("channel").lower() or None
    if channel and not _CHANNEL.match(channel):
        raise FilterError("channel is a short name like web, telegram or rest")
    level = get("level").lower() or None
    if level and level not in (*LEVELS, "unscreened"):
        raise FilterError(f"level must be one of {', '.join(LEVELS)} or unscreened")
    status = get("status").lower() or None
    if status and status not in derive.STATUSES:
        raise FilterError(f"status must be one of {', '.join(derive.STATUSES)}")
    text = get("q") or None
    if text and len(text) > 200:
        raise FilterError("the search text is longer than 200 characters")
    return Filter(date_from, date_to, channel, level, status, text)


def _conditions(f: Filter) -> list[Any]:
    c = models.conversation.c
    where: list[Any] = []
    if f.date_from:
        where.append(c.last_us >= _day_start_us(f.date_from))
    if f.date_to:
        where.append(c.first_us < _day_start_us(f.date_to + dt.timedelta(days=1)))
    if f.channel:
        where.append(c.channel == f.channel)
    if f.level:
        where.append(c.max_level == (-1 if f.level == "unscreened" else level_rank(f.level)))
    if f.status:
        where.append(c.status == f.status)
    return where


def _senders(conn: Connection, ids: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    s = models.subject
    for start in range(0, len(ids), 500):
        for row in conn.execute(
            sa.select(s.c.subject_id, s.c.sender_id).where(
                s.c.subject_id.in_(ids[start : start + 500])
            )
        ):
            out[row.subject_id] = row.sender_id
    return out


def _text_matches(
    store: AuditStore, conn: Connection, ids: list[str], needle: str
) -> tuple[set[str], bool]:
    """Conversations whose sender id or message text contains ``needle`` (case-insensitive)."""
    needle = needle.casefold()
    found = {
        sid for sid, sender in _senders(conn, ids).items() if sender and needle in sender.casefold()
    }
    rec = models.record
    scanned, truncated = 0, False
    rest = [sid for sid in ids if sid not in found]
    for start in range(0, len(rest), 200):
        chunk = rest[start : start + 200]
        rows = (
            conn.execute(
                sa.select(rec.c.seq, rec.c.uuid, rec.c.subject_id, rec.c.ciphertext).where(
                    rec.c.subject_id.in_(chunk),
                    rec.c.kind.in_(("user", "bot", "note", "review")),
                    rec.c.ciphertext.isnot(None),
                )
            )
            .mappings()
            .all()
        )
        payloads = store.open_payloads(conn, rows)
        for row in rows:
            p = payloads.get(int(row["seq"])) or {}
            hay = " ".join(str(p.get(k) or "") for k in ("text", "note"))
            if needle in hay.casefold():
                found.add(row["subject_id"])
        scanned += len(rows)
        if scanned >= SCAN_LIMIT:
            truncated = start + 200 < len(rest)
            break
    return found, truncated


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    truncated_search: bool = False


def _conversation_ids(store: AuditStore, conn: Connection, f: Filter) -> tuple[list[str], bool]:
    c = models.conversation.c
    ids = list(
        conn.execute(
            sa.select(c.subject_id).where(*_conditions(f)).order_by(c.last_us.desc(), c.subject_id)
        ).scalars()
    )
    truncated = False
    if f.text:
        found, truncated = _text_matches(store, conn, ids, f.text)
        ids = [sid for sid in ids if sid in found]
    return ids, truncated


def list_conversations(
    store: AuditStore, f: Filter, page: int = 1, page_size: int = PAGE_SIZE
) -> Page:
    page = max(1, page)
    with store.engine.connect() as conn:
        ids, truncated = _conversation_ids(store, conn, f)
        total = len(ids)
        pages = max(1, -(-total // page_size))
        page = min(page, pages)
        chosen = ids[(page - 1) * page_size : page * page_size]
        rows = (
            {
                r["subject_id"]: dict(r)
                for r in conn.execute(
                    sa.select(models.conversation).where(
                        models.conversation.c.subject_id.in_(chosen)
                    )
                ).mappings()
            }
            if chosen
            else {}
        )
        senders = _senders(conn, chosen)
        ev = models.safety_event.c
        counts = dict(
            conn.execute(sa.select(ev.subject_id, sa.func.count()).where(ev.subject_id.in_(chosen)).group_by(ev.subject_id)).all()
        ) if chosen else {}  # fmt: skip
    items = []
    for sid in chosen:
        row = rows[sid]
        row["sender_id"] = senders.get(sid)
        row["max_level_name"] = (
            LEVELS[row["max_level"]]
            if row["max_level"] >= 0
            else ("unscreened" if row["n_messages"] else "none")
        )
        row["safety_events"] = int(counts.get(sid, 0))
        items.append(row)
    return Page(items, total, page, pages, truncated)


def find_conversation(store: AuditStore, ident: str) -> str | None:
    """A conversation id from a conversation id or a sender id."""
    ident = (ident or "").strip()
    with store.engine.connect() as conn:
        if (
            _SUBJECT.match(ident)
            and conn.execute(
                sa.select(models.conversation.c.subject_id).where(
                    models.conversation.c.subject_id == ident
                )
            ).first()
        ):
            return ident
        return conn.execute(
            sa.select(models.subject.c.subject_id).where(models.subject.c.sender_id == ident)
        ).scalar()


@dataclass
class Transcript:
    conversation: dict[str, Any]
    sender_id: str | None
    entries: list[dict[str, Any]] = field(default_factory=list)


def _loads(raw: str | None) -> Any:
    return json.loads(raw) if raw else None


def _entry(row: Mapping[str, Any], payload: Any) -> dict[str, Any]:
    if row["ciphertext"] is not None and payload is not None:
        state = "ok"
    elif row["payload_hash"] is not None:
        state = "removed"  # erased or past retention
    else:
        state = "none"
    payload = payload or {}
    return {
        "seq": int(row["seq"]),
        "uuid": row["uuid"],
        "kind": row["kind"],
        "event_us": int(row["event_us"]),
        "time": iso(int(row["event_us"])),
        "channel": row["channel"],
        "locale": row["locale"],
        "lang": row["lang"],
        "region": row["region"],
        "level": row["level"],
        "reasons": _loads(row["reasons"]) or [],
        "matched": payload.get("matched") or [],
        "detector_version": row["detector_version"],
        "helplines": _loads(row["helplines"]) or [],
        "utter_action": row["utter_action"],
        "latency_ms": row["latency_ms"],
        "actor": row["actor"],
        "detail": _loads(row["detail"]) or {},
        "text": payload.get("text"),
        "note": payload.get("note"),
        "data": payload.get("data"),
        "payload_state": state,
    }


def transcript(store: AuditStore, subject_id: str) -> Transcript | None:
    if not _SUBJECT.match(subject_id or ""):
        return None
    rec = models.record
    with store.engine.connect() as conn:
        conv = (
            conn.execute(
                sa.select(models.conversation).where(models.conversation.c.subject_id == subject_id)
            )
            .mappings()
            .first()
        )
        if conv is None:
            return None
        sender = _senders(conn, [subject_id]).get(subject_id)
        rows = (
            conn.execute(sa.select(rec).where(rec.c.subject_id == subject_id).order_by(rec.c.seq))
            .mappings()
            .all()
        )
        payloads = store.open_payloads(conn, rows)
        events = {
            int(r["record_seq"]): dict(r)
            for r in conn.execute(
                sa.select(models.safety_event).where(models.safety_event.c.subject_id == subject_id)
            ).mappings()
        }
    out = Transcript(dict(conv), sender)
    for row in rows:
        entry = _entry(row, payloads.get(int(row["seq"])))
        entry["safety_event"] = events.get(entry["seq"])
        out.entries.append(entry)
    return out


def iter_messages(
    store: AuditStore, f: Filter, since: dt.date | None = None, until: dt.date | None = None
) -> Iterator[dict[str, Any]]:
    """Every user and bot message the filter selects, oldest first, text in clear."""
    rec = models.record
    with store.engine.connect() as conn:
        wanted: set[str] | None = None
        if f.conversation_level:
            wanted = set(_conversation_ids(store, conn, f)[0])
        senders: dict[str, str | None] = {}
        statuses: dict[str, str] = {}
        where = [rec.c.kind.in_(("user", "bot"))]
        if since:
            where.append(rec.c.event_us >= _day_start_us(since))
        if until:
            where.append(rec.c.event_us < _day_start_us(until + dt.timedelta(days=1)))
        last = 0
        while True:
            rows = (
                conn.execute(
                    sa.select(rec).where(rec.c.seq > last, *where).order_by(rec.c.seq).limit(1000)
                )
                .mappings()
                .all()
            )
            if not rows:
                return
            last = int(rows[-1]["seq"])
            if wanted is not None:
                rows = [r for r in rows if r["subject_id"] in wanted]
            new = sorted({r["subject_id"] for r in rows} - senders.keys())
            if new:
                senders.update(_senders(conn, new))
                c = models.conversation.c
                statuses.update(
                    dict(
                        conn.execute(
                            sa.select(c.subject_id, c.status).where(c.subject_id.in_(new))
                        ).all()
                    )
                )
            payloads = store.open_payloads(conn, rows)
            for row in rows:
                entry = _entry(row, payloads.get(int(row["seq"])))
                entry["conversation_id"] = row["subject_id"]
                entry["sender"] = senders.get(row["subject_id"])
                entry["review_status"] = statuses.get(row["subject_id"])
                yield entry


def safety_events(
    store: AuditStore,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    level: str | None = None,
    confirmation: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Page:
    ev = models.safety_event.c
    where: list[Any] = []
    if date_from:
        where.append(ev.event_us >= _day_start_us(date_from))
    if date_to:
        where.append(ev.event_us < _day_start_us(date_to + dt.timedelta(days=1)))
    if level:
        where.append(ev.level == level)
    if confirmation == "pending":
        where.append(ev.confirmation.is_(None))
    elif confirmation:
        where.append(ev.confirmation == confirmation)
    with store.engine.connect() as conn:
        total = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(models.safety_event).where(*where)
            ).scalar()
            or 0
        )
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        rows = [
            dict(r)
            for r in conn.execute(
                sa.select(models.safety_event)
                .where(*where)
                .order_by(ev.event_us.desc(), ev.record_seq.desc())
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).mappings()
        ]
        senders = _senders(conn, sorted({r["subject_id"] for r in rows}))
    for r in rows:
        r["sender_id"] = senders.get(r["subject_id"])
        r["time"] = iso(r["event_us"])
    return Page(rows, total, page, pages)


def weekly_counts(
    store: AuditStore, weeks: int = 12, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Safety events per ISO week (Monday start, UTC), oldest first, ``weeks`` long."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    first = this_monday - dt.timedelta(weeks=weeks - 1)
    buckets: list[dict[str, Any]] = [
        {
            "week": first + dt.timedelta(weeks=i),
            "crisis": 0,
            "emergency": 0,
            "confirmed": 0,
            "false_alarm": 0,
        }
        for i in range(weeks)
    ]
    ev = models.safety_event.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(ev.event_us, ev.level, ev.confirmation).where(
                ev.event_us >= _day_start_us(first)
            )
        ).all()
    for event_us, level, confirmation in rows:
        day = dt.datetime.fromtimestamp(event_us / 1e6, tz=dt.timezone.utc).date()
        index = (day - first).days // 7
        if 0 <= index < weeks:
            if level in ("crisis", "emergency"):
                buckets[index][level] += 1
            if confirmation in ("confirmed", "false_alarm"):
                buckets[index][confirmation] += 1
    return buckets


def access_entries(store: AuditStore, page: int = 1, page_size: int = 100) -> Page:
    acc = models.access
    with store.engine.connect() as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(acc)).scalar() or 0)
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        rows = [
            dict(r)
            for r in conn.execute(
                sa.select(acc)
                .order_by(acc.c.seq.desc())
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).mappings()
        ]
    for r in rows:
        r["time"] = iso(r["recorded_us"])
        r["entity_query"] = _loads(r["entity_query"])
        r["detail"] = _loads(r["detail"])
    return Page(rows, total, page, pages)
