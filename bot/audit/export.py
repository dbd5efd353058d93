"""Export messages as JSON lines or CSV, redacted unless asked otherwise.

One object (or row) per message, oldest first, with at least: sender, channel,
timestamp, role (user/bot), text, level, reasons. Text removed by erasure or retention
exports as null with ``text_state: "removed"``. Callers record the export in the
access log (who, which filter, how many rows, redacted or not).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import IO, Any

from bot.audit.queries import Filter, iter_messages
from bot.audit.redact import redact
from bot.audit.store import AuditStore

__all__ = ["FORMATS", "rows", "write", "CSV_COLUMNS"]

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "conversation_id", "seq", "timestamp", "sender", "channel", "locale", "role", "text",
    "text_state", "level", "reasons", "helplines", "detector_version", "utter_action",
    "latency_ms", "review_status",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(
    store: AuditStore,
    f: Filter,
    *,
    unredacted: bool = False,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Iterator[dict[str, Any]]:
    for m in iter_messages(store, f, since=since, until=until):
        role = m["kind"]
        text = m["text"]
        matched = list(m["matched"])
        if not unredacted:
            text = redact(text, keep_helplines=role == "bot") if text is not None else None
            matched = [redact(x) if isinstance(x, str) else x for x in matched]
        reasons = []
        for i, reason in enumerate(m["reasons"]):
            reason = dict(reason)
            if i < len(matched) and matched[i] is not None:
                reason["matched"] = matched[i]
            reasons.append(reason)
        yield {
            "conversation_id": m["conversation_id"],
            "seq": m["seq"],
            "timestamp": m["time"],
            "sender": m["sender"],
            "channel": m["channel"],
            "locale": m["locale"],
            "role": role,
            "text": text if m["payload_state"] == "ok" else None,
            "text_state": "present" if m["payload_state"] == "ok" else "removed",
            "level": m["level"],
            "reasons": reasons,
            "helplines": m["helplines"],
            "detector_version": m["detector_version"],
            "utter_action": m["utter_action"],
            "latency_ms": m["latency_ms"],
            "review_status": m["review_status"],
        }


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # Spreadsheet formula injection (OWASP CSV injection): a patient can type "=HYPERLINK(...)".
        return "'" + value
    return value


def write(records: Iterator[dict[str, Any]], out: IO[str], fmt: str) -> int:
    """Write to a text stream; returns the number of messages written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(
        out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n"
    )
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(record.get(k)) for k in CSV_COLUMNS})
        count += 1
    return count
