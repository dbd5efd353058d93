"""What the NLU gates after the intent classifier share (advice.py, small_talk.py).

A gate is a stateless Rasa component that may correct the classifier's intent. The
common correction is to drop some intents and take the classifier's next guess.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

__all__ = ["IntentGate", "use_next_intent"]


class IntentGate(GraphComponent, IntentClassifier):
    """Untrained, configuration-free component placed after the intent classifier."""

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
    ) -> IntentGate:
        return cls()


def use_next_intent(message: Message, excluded: Collection[str]) -> None:
    """Replace the intent with the best-ranked one not in ``excluded`` (if any is left)."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in excluded]
    if ranking:
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
