"""The locale sent to Rasa with each message, and the language of the bridge's own texts.

Order (docs/contracts.md): the user's explicit ``/language`` and ``/region`` choice,
else Telegram's ``language_code`` of the sender ("ru", "en-GB", "pt-br"). The two
parts combine independently: a user whose Telegram is in Russian and who chose
Germany with ``/region`` gets ``ru-DE``. Region codes are ISO 3166 countries, with
``GB`` for the United Kingdom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ChatPrefs", "parse_language_code", "compose_locale", "ui_language", "UI_LANGUAGES"]

UI_LANGUAGES = ("en", "ru")
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|\d{3}))?(?:[-_].*)?$")


@dataclass(frozen=True)
class ChatPrefs:
    """A chat's explicit choices; None = not chosen (follow Telegram)."""

    lang: str | None = None
    country: str | None = None


def parse_language_code(code: object) -> tuple[str | None, str | None]:
    """Telegram's ``language_code`` -> (language, country). Anything odd -> (None, None)."""
    if not isinstance(code, str):
        return None, None
    match = _TAG.match(code.strip()[:35])
    if not match:
        return None, None
    lang = match.group(1).lower()
    region = match.group(3)
    country = region.upper() if region and region.isalpha() else None
    return lang, country


def compose_locale(
    language_code: object, prefs: ChatPrefs | None = None, default_lang: str = "en"
) -> str | None:
    """Locale tag for Rasa's metadata, or None when we know nothing about the user."""
    prefs = prefs or ChatPrefs()
    tag_lang, tag_country = parse_language_code(language_code)
    lang = prefs.lang or tag_lang
    country = prefs.country or tag_country
    if lang is None and country is None:
        return None
    if lang is None:
        lang = default_lang
    return f"{lang}-{country}" if country else lang


def ui_language(lang: str | None) -> str:
    """Language of the bridge's own texts: Russian or English (the safety texts do the same)."""
    return lang if lang in UI_LANGUAGES else "en"
