"""Locale and region resolution (safety/locale.py)."""

from __future__ import annotations

import pytest

from safety import Locale, resolve_locale

CASES = [
    # (locale, text, default_region, expected)
    ("en-GB", "hello", None, Locale("en", "UK", "GB")),
    ("en_GB.UTF-8", "hello", None, Locale("en", "UK", "GB")),
    ("en-UK", "hello", None, Locale("en", "UK", "GB")),
    ("en-IE", "hello", None, Locale("en", "EU", "IE")),
    ("de-DE", "Ich brauche einen Termin", None, Locale("de", "EU", "DE")),
    ("pl-PL", "dzień dobry, chciałbym umówić wizytę", None, Locale("pl", "EU", "PL")),
    ("nb-NO", "", None, Locale("nb", "EU", "NO")),
    ("en-US", "hello", None, Locale("en", "other", "US")),
    ("ru-RU", "привет", None, Locale("ru", "other", "RU")),
    ("ru", "привет", None, Locale("ru", "other", None)),
    ("ru", "привет", "UK", Locale("ru", "other", None)),
    ("en", "hello", None, Locale("en", "UK", None)),
    ("en", "hello", "EU", Locale("en", "EU", None)),
    (None, "hello there, can I book?", None, Locale("en", "UK", None)),
    (None, "hello there", "EU", Locale("en", "EU", None)),
    (None, "hello there", "IE", Locale("en", "EU", "IE")),
    (None, "хочу записаться", None, Locale("ru", "other", None)),
    (None, "хочу записаться", "UK", Locale("ru", "UK", None)),
    (None, "ne hochu zhit", None, Locale("ru", "other", None)),
    # a Russian message keeps its Russian reply whatever the locale says
    ("en-GB", "я живу в Лондоне, мне очень плохо", None, Locale("ru", "UK", "GB")),
    # a Russian locale with an English message still gets the Russian line
    ("ru", "i want to talk", None, Locale("ru", "other", None)),
    # garbage locales are ignored
    ("!!", "hello", None, Locale("en", "UK", None)),
    ("", "", None, Locale("en", "UK", None)),
]


@pytest.mark.parametrize(("locale", "text", "default_region", "expected"), CASES)
def test_resolve(locale: str | None, text: str, default_region: str | None, expected: Locale) -> None:
    assert resolve_locale(locale, text, default_region) == expected
