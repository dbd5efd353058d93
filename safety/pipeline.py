"""``screen()``: normalise -> detect -> decide -> (the caller composes the reply).

Nothing happens at import time; the first call loads the YAML files and lemma tables
(the Russian ones only when a Russian or transliterated message appears) and caches
them for the life of the process. :func:`warm_up` does all of it up front, for servers.
"""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Iterable
from functools import cache

from safety import regex_cache
from safety._data import PACKAGE_DIR
from safety.analysis import Document, analyse
from safety.decide import decide
from safety.detectors.base import PatternDetector
from safety.detectors.concepts import ConceptDetector
from safety.detectors.registry import (
    all_detectors,
    backstop,
    detect,
    detect_others,
    detect_patterns,
)
from safety.helplines import helplines, select_helplines
from safety.language import Detection, detect_language
from safety.locale import resolve_locale, resolve_with_detection
from safety.verdict import Level, Reason, Verdict

__all__ = ["screen", "warm_up", "engine_version", "HISTORY_LIMIT"]

ENGINE_VERSION = "1.1.0"
HISTORY_LIMIT = 2  # the user's previous messages that count as context

_log = logging.getLogger("safety")


@cache
def engine_version() -> str:
    """Engine version plus a digest of every YAML file the screen reads and of the
    statistical backstop's weights, so any change to a pattern, word list, helpline or
    model changes the version recorded in each verdict."""
    digest = hashlib.sha256()
    files = [*PACKAGE_DIR.rglob("*.yaml"), *(PACKAGE_DIR / "detectors").glob("*.json")]
    for path in sorted(files):
        if "evaluation" in path.parts:
            continue
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{ENGINE_VERSION}+{digest.hexdigest()[:10]}"


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _history(history: Iterable[object] | str | None) -> list[str]:
    if history is None:
        return []
    if isinstance(history, (str, bytes, bytearray)):
        items: list[object] = [history]
    else:
        items = list(history)
    return [_as_text(item) for item in items][-HISTORY_LIMIT:]


def _detection(doc: Document, history_docs: list[Document]) -> Detection:
    """The message's language, or that of message and history if the message is too short."""
    if doc.detection.confident or not history_docs:
        return doc.detection
    return detect_language("\n".join([*(d.normalised.text for d in history_docs), doc.normalised.text]))


def screen(
    text: str,
    locale: str | None = None,
    history: Iterable[str] | None = None,
    default_region: str | None = None,
) -> Verdict:
    """Screen one user message (with up to two previous user messages, oldest first)."""
    # The analysis of a long message allocates tens of thousands of small tuples, which
    # would set off the cyclic garbage collector mid-screen (a full pass over a Rasa
    # server's heap takes tens of milliseconds). None of them form cycles, so reference
    # counting frees them all; the collector is paused for the screen's few milliseconds.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _screen(_as_text(text), locale, _history(history), default_region)
    except Exception:  # noqa: BLE001 - the screen must answer whatever happens
        # Never log the message: it is health data. A crash must not silence the
        # screen: answer as a crisis (helplines shown) and leave a trace for engineers.
        _log.exception("safety screen failed; returning the fail-safe crisis verdict")
        locale_info = resolve_locale(locale if isinstance(locale, str) else None, "", default_region)
        return Verdict(
            level=Level.CRISIS,
            lang=locale_info.lang,
            region=locale_info.region,
            country=locale_info.country,
            helplines=select_helplines(Level.CRISIS, locale_info.lang, locale_info.region, locale_info.country),
            reasons=(Reason("screen", "internal_error", Level.CRISIS, (0, 0), "", 1.0),),
            version=engine_version(),
        )
    finally:
        if paused:
            gc.enable()


def _screen(text: str, locale: str | None, history: list[str], default_region: str | None) -> Verdict:
    doc = analyse(text)
    history_docs = [analyse(item) for item in history]
    history_hits = [(d, detect(d)) for d in history_docs]
    # The phrase rules first; when they already make the message a crisis, the concept
    # rules are asked only whether it is an emergency (a large saving on long messages).
    hits = detect_patterns(doc)
    first = decide(doc, hits, history_hits)
    if first.level == Level.EMERGENCY:
        decision = first
    else:
        more = detect_others(doc, Level.EMERGENCY if first.level == Level.CRISIS else None)
        hits = hits + more
        decision = decide(doc, hits, history_hits) if more else first
    if decision.level < Level.CRISIS:
        # The statistical backstop can only raise, so it runs only when the rules
        # stayed below crisis (and, inside, only where a rule saw some signal).
        extra = backstop(doc, hits)
        history_extra = [(d, h + backstop(d, h)) for d, h in history_hits]
        if extra or any(len(h2) > len(h) for (_, h), (_, h2) in zip(history_hits, history_extra, strict=True)):
            decision = decide(doc, hits + extra, history_extra)
    resolved = resolve_with_detection(
        locale if isinstance(locale, str) else None, _detection(doc, history_docs), default_region
    )
    shown = (
        select_helplines(decision.level, resolved.lang, resolved.region, resolved.country)
        if decision.level.at_least(Level.SUPPORT)
        else ()
    )
    return Verdict(
        level=decision.level,
        lang=resolved.lang,
        region=resolved.region,
        country=resolved.country,
        helplines=shown,
        reasons=decision.reasons,
        version=engine_version(),
    )


def warm_up() -> None:
    """Load every table and compile every rule now instead of on the first messages
    (measured on this 2-core machine: 6.2 s from nothing, 3.3 s with the regex cache)."""
    for detector in all_detectors():
        detector.detect(analyse("warm up"))
        if isinstance(detector, PatternDetector):
            for rule in detector.rules:
                for pattern in rule.patterns:
                    pattern.regex  # noqa: B018 - compile now rather than on first use
        if isinstance(detector, ConceptDetector):
            detector.compile_all()
    helplines()
    screen("I want to die", locale="en-GB")
    screen("хочу умереть", locale="ru")
    screen("ne hochu zhit", history=["warm up"])
    # Every rule regex is compiled by now: keep them for the next process (safety/regex_cache.py).
    regex_cache.save()
