"""Small readers of the tracker shared by the actions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

SUPPORTED_LANGS = ("en", "ru")


def reply_language(tracker: Tracker) -> str:
    """The language to answer in: the ``lang`` slot set by the safety policy.

    The safety verdict in the latest message is the fallback (e.g. for trackers that
    predate the slot); English for anything else.
    """
    lang = tracker.get_slot("lang")
    if lang in SUPPORTED_LANGS:
        return str(lang)
    verdict: dict[str, Any] = (tracker.latest_message or {}).get("safety") or {}
    lang = verdict.get("lang")
    return str(lang) if lang in SUPPORTED_LANGS else "en"


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")
