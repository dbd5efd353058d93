"""What gets appended: records before they are encrypted and chained.

A :class:`NewRecord` carries its plaintext ``payload`` (message text, matched spans,
notes); the store encrypts it with the subject's data key on append. Records travel
through the spool as JSON (the spool file itself is encrypted).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["NewRecord", "AccessEvent", "now_us", "new_uuid", "KINDS", "MESSAGE_KINDS"]

# user / bot: a message; session_started: Rasa session boundary;
# review / note / safety_review / legal_hold: what clinicians did;
# erasure / purge: what the system removed, and why.
KINDS = (
    "user", "bot", "session_started", "review", "note", "safety_review", "legal_hold",
    "erasure", "purge",
)  # fmt: skip
MESSAGE_KINDS = ("user", "bot")


def now_us() -> int:
    return time.time_ns() // 1000


def new_uuid() -> str:
    return uuid.uuid4().hex


@dataclass
class NewRecord:
    kind: str
    event_us: int
    sender_id: str | None = None  # resolved to a subject on append
    subject_id: str | None = None  # when the caller already knows it (clinician actions)
    uuid: str = field(default_factory=new_uuid)
    recorded_us: int = field(default_factory=now_us)
    channel: str | None = None
    locale: str | None = None
    lang: str | None = None
    region: str | None = None
    level: str | None = None
    reasons: list[dict[str, Any]] | None = None  # without the matched text
    detector_version: str | None = None
    helplines: list[str] | None = None
    message_id: str | None = None
    utter_action: str | None = None
    latency_ms: int | None = None
    retention_class: str = "system"
    actor: str | None = None
    detail: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None  # plaintext; encrypted on append

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown audit record kind {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NewRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class AccessEvent:
    """One access-log entry, shaped after FHIR AuditEvent."""

    type_code: str  # DICOM audit event id (see access_log.TYPES)
    subtype: str
    action: str  # C R U D E
    agent_who: str
    source: str
    outcome: int = 0
    agent_role: str | None = None
    agent_address: str | None = None
    entity_what: str | None = None
    entity_query: dict[str, Any] | None = None
    detail: dict[str, Any] | None = None
    uuid: str = field(default_factory=new_uuid)
    recorded_us: int = field(default_factory=now_us)
