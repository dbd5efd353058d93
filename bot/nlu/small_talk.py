"""Small talk that asks about the domain is a question (see small_talk.yml).

The intent classifier now and then puts a short domain question into greet, thank or
goodbye ("Is any group of medicines better than the others for PTSD?" -> thank), and the
assistant then answers "You're welcome!". When the text both asks something and names a
term of the domain, the best-ranked intent that is not small talk replaces the guess.
The same holds for a booking guess when the text has no word of booking or contact
("what did the clinic's article on 52 drug trials compare?").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.advice import names_a_treatment
from bot.nlu.gate import IntentGate, use_next_intent

__all__ = ["SmallTalkGate", "asks_about_the_domain", "about_booking"]

SETTINGS_FILE = Path(__file__).with_name("small_talk.yml")


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    """small_talk.yml, read once for both gates' tables."""
    data: dict[str, Any] = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def _settings() -> tuple[frozenset[str], re.Pattern[str], re.Pattern[str]]:
    data = _data()
    return (
        frozenset(data["small_talk_intents"]),
        re.compile(data["domain_terms"], re.IGNORECASE),
        re.compile(data["question"], re.IGNORECASE),
    )


def small_talk_intents() -> frozenset[str]:
    return _settings()[0]


@lru_cache(maxsize=1)
def _booking() -> tuple[frozenset[str], re.Pattern[str]]:
    data = _data()
    return frozenset(data["booking_intents"]), re.compile(data["booking_words"], re.IGNORECASE)


def about_booking(text: str) -> bool:
    """Whether the text has a word of booking or contact, or speaks to the clinic."""
    return bool(_booking()[1].search(text.lower().replace("ё", "е")))


def asks_about_the_domain(text: str) -> bool:
    """Whether ``text`` asks something and names PTSD, a symptom or a treatment."""
    _, domain, question = _settings()
    folded = text.lower().replace("ё", "е").strip()
    return bool(question.search(folded)) and (
        bool(domain.search(folded)) or names_a_treatment(folded)
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SmallTalkGate(IntentGate):
    def process(self, messages: list[Message]) -> list[Message]:
        small_talk = small_talk_intents()
        booking = _booking()[0]
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            text = message.get(TEXT) or ""
            if intent in small_talk and asks_about_the_domain(text):
                use_next_intent(message, small_talk)
            elif intent in booking and asks_about_the_domain(text) and not about_booking(text):
                use_next_intent(message, booking)
        return messages
