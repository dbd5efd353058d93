"""Small talk that asks about the domain is a question (see small_talk.yml).

The intent classifier now and then puts a short domain question into greet, thank or
goodbye ("Is any group of medicines better than the others for PTSD?" -> thank), and the
assistant then answers "You're welcome!". When the text both asks something and names a
term of the domain, the best-ranked intent that is not small talk replaces the guess.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.advice import names_a_treatment

__all__ = ["SmallTalkGate", "asks_about_the_domain"]

SETTINGS_FILE = Path(__file__).with_name("small_talk.yml")


@lru_cache(maxsize=1)
def _settings() -> tuple[frozenset[str], re.Pattern[str], re.Pattern[str]]:
    data = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    return (
        frozenset(data["small_talk_intents"]),
        re.compile(data["domain_terms"], re.IGNORECASE),
        re.compile(data["question"], re.IGNORECASE),
    )


def small_talk_intents() -> frozenset[str]:
    return _settings()[0]


def asks_about_the_domain(text: str) -> bool:
    """Whether ``text`` asks something and names PTSD, a symptom or a treatment."""
    _, domain, question = _settings()
    folded = text.lower().replace("ё", "е").strip()
    return bool(question.search(folded)) and (
        bool(domain.search(folded)) or names_a_treatment(folded)
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SmallTalkGate(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SmallTalkGate:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        small_talk = small_talk_intents()
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            if intent not in small_talk or not asks_about_the_domain(message.get(TEXT) or ""):
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in small_talk]
            if ranking:
                message.set(INTENT, dict(ranking[0]), add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
