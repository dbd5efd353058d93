"""Turn Rasa tracker events (the dicts an event broker receives) into audit records.

Only what clinicians need is kept: user and bot messages and session starts. The
safety verdict travels in ``parse_data["safety"]``; its ``reasons[].matched`` is a
piece of the message, so it goes into the encrypted payload with the text, and the
rest of each reason (detector, rule, level, span, score) stays in clear for filtering.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.audit.models import LEVELS, level_rank
from bot.audit.records import NewRecord, now_us

__all__ = ["TurnMemory", "normalize"]

_REASON_KEYS = ("detector", "rule", "level", "span", "score")


@dataclass
class _LastUser:
    event_us: int
    level: str | None
    helplines: list[str] | None
    channel: str | None
    locale: str | None
    lang: str | None
    region: str | None


class TurnMemory:
    """The last user message per sender, to time replies and tag safety replies."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._last: OrderedDict[str, _LastUser] = OrderedDict()

    def remember(self, sender: str, last: _LastUser) -> None:
        self._last[sender] = last
        self._last.move_to_end(sender)
        while len(self._last) > self._size:
            self._last.popitem(last=False)

    def get(self, sender: str) -> _LastUser | None:
        return self._last.get(sender)

    def forget(self, sender: str) -> None:
        self._last.pop(sender, None)


def _event_us(event: Mapping[str, Any]) -> int:
    ts = event.get("timestamp")
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        return int(round(float(ts) * 1_000_000))
    return now_us()


def _str(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:limit] if text else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _clean_reason(reason: Any) -> dict[str, Any]:
    reason = _dict(reason)
    out = {k: reason.get(k) for k in _REASON_KEYS if k in reason}
    if isinstance(out.get("span"), tuple):
        out["span"] = list(out["span"])
    return out


def normalize(event: Mapping[str, Any], memory: TurnMemory) -> NewRecord | None:
    """The audit record for a Rasa event, or ``None`` for events the audit ignores."""
    kind = event.get("event")
    sender = event.get("sender_id")
    if not sender or kind not in ("user", "bot", "session_started"):
        return None
    sender = str(sender)
    event_us = _event_us(event)

    if kind == "user":
        meta = _dict(event.get("metadata"))
        safety = _dict(_dict(event.get("parse_data")).get("safety"))
        level = safety.get("level") if safety.get("level") in LEVELS else None
        raw_reasons: list[Any] = (
            safety["reasons"] if isinstance(safety.get("reasons"), list) else []
        )
        helplines = safety.get("helplines")
        helplines = [str(h) for h in helplines] if isinstance(helplines, (list, tuple)) else None
        channel = _str(meta.get("channel") or event.get("input_channel") or "rest", 32)
        locale = _str(meta.get("locale"), 35)
        last = _LastUser(
            event_us, level, helplines, channel, locale,
            _str(safety.get("lang"), 16), _str(safety.get("region"), 16),
        )  # fmt: skip
        memory.remember(sender, last)
        payload: dict[str, Any] = {"text": event.get("text") or ""}
        matched = [_dict(r).get("matched") for r in raw_reasons]
        if any(m is not None for m in matched):
            payload["matched"] = matched
        return NewRecord(
            kind="user",
            sender_id=sender,
            event_us=event_us,
            channel=channel,
            locale=locale,
            lang=last.lang,
            region=last.region,
            level=level,
            reasons=[_clean_reason(r) for r in raw_reasons] if safety else None,
            detector_version=_str(safety.get("version"), 64),
            helplines=helplines,
            message_id=_str(event.get("message_id"), 128),
            retention_class="safety" if level_rank(level) >= level_rank("crisis") else "message",
            payload=payload,
        )

    last_user = memory.get(sender)
    if kind == "session_started":
        return NewRecord(
            kind="session_started",
            sender_id=sender,
            event_us=event_us,
            channel=last_user.channel if last_user else None,
        )

    # A bot message: tie it to the user message it answers (same sender, latest).
    meta = _dict(event.get("metadata"))
    utter = _str(meta.get("utter_action"), 128)
    turn_level = last_user.level if last_user else None
    safety_reply = level_rank(turn_level) >= level_rank("crisis") or "safety" in (utter or "")
    data = {k: v for k, v in _dict(event.get("data")).items() if v not in (None, [], {})}
    payload = {"text": event.get("text") or ""}
    if data:
        payload["data"] = data
    latency = None
    if last_user is not None and event_us >= last_user.event_us:
        latency = min((event_us - last_user.event_us) // 1000, 2**31 - 1)
    return NewRecord(
        kind="bot",
        sender_id=sender,
        event_us=event_us,
        channel=last_user.channel if last_user else None,
        locale=last_user.locale if last_user else None,
        lang=last_user.lang if last_user else None,
        region=last_user.region if last_user else None,
        # The verdict of the turn this reply answers (the register counts user messages only).
        level=turn_level,
        # Helplines shown: the verdict's, whenever it asked for a signpost or more.
        helplines=last_user.helplines
        if last_user and level_rank(turn_level) >= level_rank("support")
        else None,
        utter_action=utter,
        latency_ms=latency,
        retention_class="safety" if safety_reply else "message",
        payload=payload,
    )
