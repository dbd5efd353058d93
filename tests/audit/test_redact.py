"""Redaction, table-driven: what must go, what must stay."""

from __future__ import annotations

import pytest

from bot.audit.redact import redact


@pytest.mark.parametrize(
    "text,expected",
    [
        ("call me on 07700 900123", "call me on [phone]"),
        ("my mobile +44 7700 900123.", "my mobile [phone]."),
        ("ring 0161 496 0000 after 6", "ring [phone] after 6"),
        ("Berlin: +49 30 1234567", "Berlin: [phone]"),
        ("мой телефон 89161234567", "мой телефон [phone]"),
        ("+7 (495) 123-45-67", "[phone]"),
        ("spaced 0 7 7 0 0 9 0 0 1 2 3", "spaced [phone]"),
        ("mail jo.bloggs+x@example.co.uk now", "mail [email] now"),
        ("find me @jo_bloggs on telegram", "find me [handle] on telegram"),
        ("see https://example.com/a?b=1 or www.example.org", "see [url] or [url]"),
        ("email me at jo@localhost", "email me at [email]"),
    ],
)
def test_masks_contact_details(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I took 20 pills at 3pm",
        "call 999 or 112",
        "Samaritans 116 123, free",
        "I am 34 and have PTSD since 2019",
        "What is EMDR?",
        "",
    ],
)
def test_leaves_ordinary_text(text):
    assert redact(text) == text


def test_none_and_helpline_allowlist(monkeypatch):
    from bot.audit import redact as mod

    assert redact(None) == ""
    monkeypatch.setattr(mod, "_helpline_digits", lambda: frozenset({"88002000122"}))
    assert (
        redact("Телефон доверия 8-800-2000-122", keep_helplines=True)
        == "Телефон доверия 8-800-2000-122"
    )
    assert redact("Телефон доверия 8-800-2000-122") == "Телефон доверия [phone]"
