"""State derived from the record chain: conversation summaries and the safety register.

The store applies these functions to each record as it appends it (inside the same
transaction), and ``audit verify`` folds the whole chain through them again and
compares, so a hand-edited summary (say, a crisis conversation marked "resolved"
in the table) is caught even though the summaries themselves are not chained.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.audit.models import level_rank

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "SAFETY_LEVELS",
    "CONFIRMATIONS",
    "new_conversation",
    "apply_to_conversation",
    "safety_event_from",
    "apply_to_safety_event",
]

STATUSES = ("new", "reviewed", "flagged", "resolved")
# Review workflow. A new patient message re-opens a reviewed or resolved conversation
# (status back to "new"): it holds something no clinician has seen yet.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("reviewed", "flagged"),
    "reviewed": ("flagged",),
    "flagged": ("resolved",),
    "resolved": ("flagged",),
}
SAFETY_LEVELS = ("crisis", "emergency")
CONFIRMATIONS = ("confirmed", "false_alarm")


def _detail(rec: Mapping[str, Any]) -> dict[str, Any]:
    raw = rec.get("detail")
    if not raw:
        return {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def new_conversation(subject_id: str) -> dict[str, Any]:
    return {
        "subject_id": subject_id,
        "channel": None,
        "first_us": None,
        "last_us": None,
        "n_messages": 0,
        "max_level": -1,
        "status": "new",
        "legal_hold": False,
        "erased": False,
        "last_seq": 0,
    }


def apply_to_conversation(conv: dict[str, Any], rec: Mapping[str, Any]) -> dict[str, Any]:
    """The conversation summary after ``rec`` (a chained record, as a mapping)."""
    out = dict(conv)
    kind = rec["kind"]
    out["last_seq"] = int(rec["seq"])
    if kind in ("user", "bot"):
        ts = int(rec["event_us"])
        out["n_messages"] += 1
        out["first_us"] = ts if out["first_us"] is None else min(out["first_us"], ts)
        out["last_us"] = ts if out["last_us"] is None else max(out["last_us"], ts)
        if rec.get("channel"):
            out["channel"] = rec["channel"]
        if kind == "user":
            out["max_level"] = max(out["max_level"], level_rank(rec.get("level")))
            if out["status"] in ("reviewed", "resolved"):
                out["status"] = "new"
    elif kind == "review":
        out["status"] = _detail(rec)["to"]
    elif kind == "legal_hold":
        out["legal_hold"] = bool(_detail(rec)["hold"])
    elif kind == "erasure":
        out["erased"] = True
    return out


def safety_event_from(rec: Mapping[str, Any]) -> dict[str, Any] | None:
    """A register entry for a crisis or emergency verdict on a user message."""
    if rec["kind"] != "user" or rec.get("level") not in SAFETY_LEVELS:
        return None
    return {
        "record_seq": int(rec["seq"]),
        "subject_id": rec["subject_id"],
        "event_us": int(rec["event_us"]),
        "level": rec["level"],
        "channel": rec.get("channel"),
        "confirmation": None,
        "confirmed_by": None,
        "confirmed_us": None,
    }


def apply_to_safety_event(ev: dict[str, Any], rec: Mapping[str, Any]) -> dict[str, Any]:
    """The register entry after a ``safety_review`` record that names it."""
    detail = _detail(rec)
    out = dict(ev)
    out["confirmation"] = detail["verdict"]
    out["confirmed_by"] = rec.get("actor")
    out["confirmed_us"] = int(rec["recorded_us"])
    return out
