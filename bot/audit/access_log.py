"""The access log: who viewed, searched, exported, revealed or changed what, and how it went.

Entries are shaped after FHIR R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html)
and typed with DICOM audit event ids, so they can be exported to a FHIR server or
SIEM as they are (:func:`to_fhir`). Filters are stored redacted: a clinician may
search for a phone number, and the log must not become a copy of patient data.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from collections.abc import Mapping
from typing import Any

from bot.audit.records import AccessEvent

__all__ = ["TYPES", "OUTCOME", "make", "cli_agent", "cli_source", "to_fhir", "WEB_SOURCE"]

# DICOM (DCM) audit event ids used as AuditEvent.type.
TYPES = {
    "read": ("110110", "Patient Record"),
    "query": ("110112", "Query"),
    "export": ("110106", "Export"),
    "auth": ("110114", "User Authentication"),
    "security": ("110113", "Security Alert"),
    "users": ("110137", "User Security Attributes Changed"),
    "admin": ("110100", "Application Activity"),
}
_BY_CODE = {code: (key, display) for key, (code, display) in TYPES.items()}

# FHIR AuditEvent.outcome
OUTCOME = {"success": 0, "minor": 4, "serious": 8, "major": 12}

WEB_SOURCE = "bot-audit-web"


def cli_agent() -> str:
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "os:unknown"


def cli_source() -> str:
    return f"bot-audit-cli@{socket.gethostname()}"


def make(
    type_key: str,
    subtype: str,
    action: str,
    *,
    who: str,
    source: str,
    outcome: str = "success",
    role: str | None = None,
    address: str | None = None,
    what: str | None = None,
    query: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AccessEvent:
    if action not in "CRUDE" or len(action) != 1:
        raise ValueError(f"access action must be one of C R U D E, got {action!r}")
    code, _display = TYPES[type_key]
    return AccessEvent(
        type_code=code,
        subtype=subtype,
        action=action,
        agent_who=who[:128],
        source=source[:128],
        outcome=OUTCOME[outcome],
        agent_role=role,
        agent_address=(address or None) and address[:64],
        entity_what=(what or None) and what[:256],
        entity_query=dict(query) if query else None,
        detail=dict(detail) if detail else None,
    )


def _iso(us: int) -> str:
    return (
        dt.datetime.fromtimestamp(us / 1e6, tz=dt.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def to_fhir(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored access-log row as a FHIR R4 AuditEvent resource."""
    _key, display = _BY_CODE.get(row["type_code"], ("", row["type_code"]))
    agent: dict[str, Any] = {"who": {"display": row["agent_who"]}, "requestor": True}
    if row.get("agent_role"):
        agent["role"] = [{"text": row["agent_role"]}]
    if row.get("agent_address"):
        agent["network"] = {"address": row["agent_address"], "type": "2"}  # 2 = IP address
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": row["uuid"],
        "type": {
            "system": "http://dicom.nema.org/resources/ontology/DCM",
            "code": row["type_code"],
            "display": display,
        },
        "subtype": [{"code": row["subtype"]}],
        "action": row["action"],
        "recorded": _iso(int(row["recorded_us"])),
        "outcome": str(row["outcome"]),
        "agent": [agent],
        "source": {"observer": {"display": row["source"]}},
    }
    entity: dict[str, Any] = {}
    if row.get("entity_what"):
        entity["what"] = {"reference": row["entity_what"]}
    if row.get("entity_query"):
        entity["query"] = row["entity_query"]  # FHIR wants base64; kept readable here (see docs)
    if row.get("detail"):
        entity["detail"] = [
            {"type": k, "valueString": json.dumps(v) if not isinstance(v, str) else v}
            for k, v in sorted(json.loads(row["detail"]).items())
        ]
    if entity:
        event["entity"] = [entity]
    event["extension"] = [
        {"url": "urn:bot-audit:chain", "valueString": f"{row['seq']}:{row['record_hash']}"}
    ]
    return event
