"""NLU component: requests for individual medical advice always get the decline.

Placed after the intent classifier and before the FallbackClassifier. When the text
matches one of the high-precision patterns in ``advice_patterns.yml`` (a personal dose,
prescription, or starting/stopping/switching a medicine), the intent becomes
``ask_medical_advice`` with full confidence, whatever the classifier guessed.
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

__all__ = ["MedicalAdviceOverride", "advice_rule", "ADVICE_INTENT"]

ADVICE_INTENT = "ask_medical_advice"
PATTERNS_FILE = Path(__file__).with_name("advice_patterns.yml")


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    compiled = []
    for lang, entries in data["patterns"].items():
        for entry in entries:
            compiled.append((f"{lang}:{entry['id']}", re.compile(entry["regex"], re.IGNORECASE)))
    return tuple(compiled)


def advice_rule(text: str) -> str | None:
    """The id of the first pattern that matches ``text`` (e.g. ``en:amount_in_mg``), or None."""
    folded = text.lower().replace("ё", "е")
    for rule_id, pattern in _patterns():
        if pattern.search(folded):
            return rule_id
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MedicalAdviceOverride(GraphComponent, IntentClassifier):
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
    ) -> MedicalAdviceOverride:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            rule = advice_rule(message.get(TEXT) or "")
            if rule is None:
                continue
            intent = {"name": ADVICE_INTENT, "confidence": 1.0}
            message.set(INTENT, intent, add_to_output=True)
            # Only the override in the ranking: with the classifier's runner-up left in,
            # FallbackClassifier's ambiguity check would turn a sure match into a fallback.
            message.set(INTENT_RANKING_KEY, [dict(intent)], add_to_output=True)
            message.set("advice_rule", rule, add_to_output=True)
        return messages
