"""German, French, Spanish, Polish, Ukrainian (safety/detectors/other_languages.yaml)."""

from __future__ import annotations

import pytest

import safety
from safety import Level

CASES = [
    ("Ich will nicht mehr leben", "de-DE", Level.CRISIS),
    ("ich denke jeden tag daran mich umzubringen", None, Level.CRISIS),
    ("je veux mourir", "fr-FR", Level.CRISIS),
    ("j'ai envie de me suicider", None, Level.CRISIS),
    ("quiero morirme", "es-ES", Level.CRISIS),
    ("no quiero seguir viviendo", None, Level.CRISIS),
    ("nie chcę już żyć", "pl-PL", Level.CRISIS),
    ("chcę się zabić", None, Level.CRISIS),
    ("я не хочу жити", "uk-UA", Level.CRISIS),
    ("хочу покінчити з собою", None, Level.CRISIS),
    ("połknęłam wszystkie tabletki", None, Level.EMERGENCY),
    ("der Stau bringt mich noch um", None, Level.NONE),
    ("me muero de hambre", None, Level.NONE),
    ("ten korek mnie wykończy", None, Level.NONE),
]


@pytest.mark.parametrize(("text", "locale", "expected"), CASES)
def test_level(text: str, locale: str | None, expected: Level) -> None:
    assert safety.screen(text, locale=locale).level == expected


def test_other_language_reply_is_english_with_local_emergency_number() -> None:
    verdict = safety.screen("je veux mourir", locale="fr-FR")
    assert verdict.lang == "fr" and verdict.region == "EU"
    reply = safety.compose_reply(verdict)
    assert "112" in reply and "automated assistant" in reply
