"""Mask contact details in message text: phone numbers, e-mail addresses, @handles, URLs.

Used for every export and page unless a safety officer reveals the text with a reason.
It errs towards masking too much (a date written as 2024 01 02 03 may go): a missed
phone number in an export is a breach, an extra mask is an inconvenience.

Phone numbers are found with the ``phonenumbers`` library (international form in any
region, UK national form), then any remaining run of seven or more digits with the
usual separators (national forms elsewhere). Shorter numbers (999, 112, 116 123,
doses, times) are left alone. The clinic's own helpline numbers
(``safety/helplines.yaml``) are kept in the assistant's replies, so clinicians can
check which numbers were given.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import phonenumbers

__all__ = ["redact", "PHONE", "EMAIL", "HANDLE", "URL"]

PHONE, EMAIL, HANDLE, URL = "[phone]", "[email]", "[handle]", "[url]"

# GB national format; numbers written with + parse in any region, and the digit-run
# rule below catches national formats elsewhere (030 1234567, 8 (916) 123-45-67).
_REGIONS = ("GB",)
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# An @handle not glued to a word (so not the middle of an e-mail address).
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{2,64}\b")
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s().\-/]{0,3}\d){6,}")


@functools.lru_cache(maxsize=1)
def _helpline_digits() -> frozenset[str]:
    """Digits of every number in safety/helplines.yaml (empty if the file is absent)."""
    from bot.settings import PROJECT_ROOT

    path = PROJECT_ROOT / "safety" / "helplines.yaml"
    if not path.exists():
        return frozenset()
    import yaml

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, (str, int)) and str(key).lower() in {
                    "number",
                    "phone",
                    "tel",
                    "sms",
                    "text",
                }:
                    digits = re.sub(r"\D", "", str(value))
                    if len(digits) >= 3:
                        found.add(digits)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    try:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    except Exception:  # noqa: BLE001 - a broken file only means we mask more
        return frozenset()
    return frozenset(found)


def _merge(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for start, end, label in sorted(spans):
        if out and start < out[-1][1]:
            prev = out[-1]
            out[-1] = (prev[0], max(prev[1], end), prev[2])
        else:
            out.append((start, end, label))
    return out


def redact(text: str | None, *, keep_helplines: bool = False) -> str:
    """``text`` with contact details replaced by [phone], [email], [handle], [url]."""
    if not text:
        return text or ""
    spans: list[tuple[int, int, str]] = []
    for m in _EMAIL.finditer(text):
        spans.append((m.start(), m.end(), EMAIL))
    for m in _URL.finditer(text):
        spans.append((m.start(), m.end(), URL))
    for m in _HANDLE.finditer(text):
        spans.append((m.start(), m.end(), HANDLE))
    if sum(ch.isdigit() for ch in text) >= 5:  # cheap test first: most messages have no number
        allowed = _helpline_digits() if keep_helplines else frozenset()
        phone_spans = []
        for region in _REGIONS:
            for match in phonenumbers.PhoneNumberMatcher(
                text, region, leniency=phonenumbers.Leniency.POSSIBLE
            ):
                phone_spans.append((match.start, match.end))
        for m in _DIGIT_RUN.finditer(text):
            phone_spans.append((m.start(), m.end()))
        for start, end in phone_spans:
            digits = re.sub(r"\D", "", text[start:end])
            # Fewer than 7 digits: emergency and short service numbers (999, 112,
            # 116 123), doses and times, not a person's line.
            if len(digits) < 7 or digits in allowed:
                continue
            spans.append((start, end, PHONE))
    if not spans:
        return text
    pieces, pos = [], 0
    for start, end, label in _merge(spans):
        pieces.append(text[pos:start])
        pieces.append(label)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)
