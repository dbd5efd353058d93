"""Helpline data (``helplines.yaml``) and which lines a verdict shows, in what order.

Order rules (DESIGN.md §2.1):
* ``emergency``: the region's emergency number first, then the support lines;
* ``crisis`` and ``support``: the support lines first, then the emergency number.

A Russian-language user gets the Russian-language line together with the emergency
number of their region (the line is a free number within Russia only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from safety._data import load_yaml
from safety.verdict import Level

__all__ = ["Helpline", "helplines", "helpline", "select_helplines", "emergency_line", "helplines_version"]

REGIONS = ("UK", "EU", "other")


@dataclass(frozen=True)
class Helpline:
    id: str
    number: str
    dial: str
    contact: str  # "call" | "text"
    kind: str  # "emergency" | "support"
    names: dict[str, str]
    purpose: str
    hours: str | None
    cost: str | None
    languages: tuple[str, ...]
    dial_from: tuple[str, ...]
    keyword: str | None
    source: dict[str, Any]
    checked: str
    not_in_source: dict[str, str]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


def _line(raw: dict[str, Any]) -> Helpline:
    return Helpline(
        id=str(raw["id"]),
        number=str(raw["number"]),
        dial=str(raw["dial"]),
        contact=str(raw["contact"]),
        kind=str(raw["kind"]),
        names={str(k): str(v) for k, v in raw["name"].items()},
        purpose=str(raw["purpose"]),
        hours=None if raw.get("hours") is None else str(raw["hours"]),
        cost=None if raw.get("cost") is None else str(raw["cost"]),
        languages=tuple(str(x) for x in raw["languages"]),
        dial_from=tuple(str(x) for x in raw["dial_from"]),
        keyword=None if raw.get("keyword") is None else str(raw["keyword"]),
        source=dict(raw["source"]),
        checked=str(raw["checked"]),
        not_in_source={str(k): str(v) for k, v in (raw.get("not_in_source") or {}).items()},
    )


@cache
def helplines() -> dict[str, Helpline]:
    data = load_yaml("helplines.yaml")
    return {line.id: line for line in (_line(raw) for raw in data["lines"])}


def helpline(line_id: str) -> Helpline:
    return helplines()[line_id]


def helplines_version() -> str:
    return str(load_yaml("helplines.yaml")["version"])


@cache
def _selection() -> dict[str, Any]:
    return dict(load_yaml("helplines.yaml")["selection"])


def _by_lang(table: dict[str, list[str]], lang: str) -> list[str]:
    return list(table.get(lang, table.get("*", [])))


def emergency_line(region: str) -> Helpline:
    region = region if region in REGIONS else "other"
    return helpline(_selection()["emergency"][region])


def select_helplines(level: Level, lang: str, region: str, country: str | None) -> tuple[str, ...]:
    """Helpline ids for a verdict, in display order ("none" still gets the emergency number
    in the data, so a channel can always show it; the screen only shows lines from support up)."""
    selection = _selection()
    region = region if region in REGIONS else "other"
    emergency = [selection["emergency"][region]]
    if country is None:
        emergency += list(selection["also_when_country_unknown"].get(region, []))
    support = _by_lang(selection["support"][region], lang)
    by_country = selection.get("support_by_country", {})
    if country and country in by_country:
        support += [x for x in _by_lang(by_country[country], lang) if x not in support]
    # Emergency: the emergency number first; otherwise the listening lines first.
    ordered = emergency + support if level == Level.EMERGENCY else support + emergency
    seen: set[str] = set()
    result = []
    for line_id in ordered:
        if line_id not in seen:
            seen.add(line_id)
            result.append(line_id)
    return tuple(result)
