"""Where the user probably is (region, country) and which language to answer in.

Rules, in order (documented in safety/README.md and docs/clinical-safety.md):

Language
  1. Russian wins if either the message is Russian (Cyrillic or transliterated) or the
     locale says ``ru``: the reply carries the Russian-language line either way.
  2. Otherwise the message's language when it is clear, else the locale's language,
     else English.

Region
  1. The locale's country: GB -> "UK"; EU member states and the other EEA states ->
     "EU"; any other country -> "other".
  2. A language-only locale: ``en`` -> the default region; any other language ->
     "other" (we cannot tell where a Russian or German speaker is; the EU emergency
     number also connects in the UK and in Russia, so "other" shows it first and
     mentions the UK number too, see helplines.yaml).
  3. No locale: the ``default_region`` argument; without one, "UK" for English
     messages and "other" for messages in any other language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from safety._data import load_yaml
from safety.language import Detection, detect_language

__all__ = ["Locale", "resolve_locale", "resolve_with_detection", "region_for_country", "normalise_region"]

DEFAULT_REGION = "UK"
_TAG_SEPARATORS = re.compile(r"[-_.@\s]+")


@dataclass(frozen=True)
class Locale:
    lang: str
    region: str  # "UK" | "EU" | "other"
    country: str | None  # ISO 3166-1 alpha-2, upper case


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    data = load_yaml("regions.yaml")
    country_region = {
        country: region for region, countries in data["regions"].items() for country in countries
    }
    return country_region, dict(data["country_aliases"]), dict(data["region_aliases"])


def region_for_country(country: str) -> str:
    country_region, aliases, _ = _tables()
    country = aliases.get(country.upper(), country.upper())
    return country_region.get(country, "other")


def normalise_region(value: str | None) -> tuple[str, str | None] | None:
    """Turn a default-region setting into (region, country); None if unusable.

    Accepts "UK", "GB", "EU", "other" and also a two-letter country code ("IE").
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    country_region, country_aliases, region_aliases = _tables()
    upper = value.upper()
    if upper in region_aliases:
        region = region_aliases[upper]
        return region, None
    upper = country_aliases.get(upper, upper)
    if len(upper) == 2 and upper.isalpha():
        return country_region.get(upper, "other"), upper
    return "other", None


def _parse_tag(locale: str | None) -> tuple[str | None, str | None]:
    """("en-GB" | "en_GB.UTF-8" | "ru" | "RU") -> (language, country). Garbage -> (None, None)."""
    if not locale or not isinstance(locale, str):
        return None, None
    parts = [p for p in _TAG_SEPARATORS.split(locale.strip()[:64]) if p]
    if not parts:
        return None, None
    language: str | None = None
    country: str | None = None
    first = parts[0]
    if first.isalpha() and 2 <= len(first) <= 3:
        language = first.lower()
    for part in parts[1:]:
        # The region subtag: two letters (skip scripts like "Latn" and codesets "UTF").
        if len(part) == 2 and part.isalpha():
            country = part.upper()
            break
    if country is not None:
        _, aliases, _ = _tables()
        country = aliases.get(country, country)
    return language, country


def resolve_locale(
    locale: str | None, text: str = "", default_region: str | None = None
) -> Locale:
    return resolve_with_detection(locale, detect_language(text) if text else None, default_region)


def resolve_with_detection(
    locale: str | None, detection: Detection | None, default_region: str | None = None
) -> Locale:
    """:func:`resolve_locale` for a caller that has already detected the language."""
    tag_lang, tag_country = _parse_tag(locale)
    detected = detection.lang if detection else None

    if detected == "ru" or tag_lang == "ru":
        lang = "ru"
    elif detection is not None and detected is not None and detection.confident:
        lang = detected
    elif tag_lang:
        lang = tag_lang
    elif detected:
        lang = detected
    else:
        lang = "en"

    default = normalise_region(default_region)
    region: str
    country: str | None
    if tag_country is not None:
        region, country = region_for_country(tag_country), tag_country
    elif tag_lang is not None:
        if tag_lang == "en":
            region, country = default if default else (DEFAULT_REGION, None)
        else:
            region, country = "other", None
    elif default is not None:
        region, country = default
    elif lang == "en":
        region, country = DEFAULT_REGION, None
    else:
        region, country = "other", None
    # ``country`` is only what we were told (locale tag or a country-code default),
    # never a guess from the region.
    return Locale(lang=lang, region=region, country=country)
