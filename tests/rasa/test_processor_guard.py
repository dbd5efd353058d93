"""Layer 1 (the message-processor guard): every parse carries a verdict, and messages
the screen flags as crisis skip the NLU graph (a speed-up that must never change what
the user gets)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from safety.rasa_adapters import PARSE_DATA_KEY, SAFETY_INTENT, install_processor_guard

CRISIS = "I want to kill myself tonight"
QUESTION = "how fast does ketamine work?"


class FakeProcessor:
    """Just what ``MessageProcessor.parse_message`` uses, with a counting NLU graph."""

    http_interpreter = None

    def __init__(self) -> None:
        self.graph_calls = 0

    def _parse_message_with_graph(
        self, message: UserMessage, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        self.graph_calls += 1
        return {
            "text": message.text,
            "intent": {"name": "ask_ketamine", "confidence": 0.9},
            "entities": [{"entity": "drug", "value": "ketamine"}],
            "intent_ranking": [{"name": "ask_ketamine", "confidence": 0.9}],
        }

    def _update_full_retrieval_intent(self, parse_data: dict[str, Any]) -> None:
        pass

    def _check_for_unseen_features(self, parse_data: dict[str, Any]) -> None:
        pass


@pytest.fixture(autouse=True)
def guard() -> None:
    install_processor_guard()


async def parse(text: str, tracker: DialogueStateTracker | None = None) -> tuple[dict[str, Any], int]:
    processor = FakeProcessor()
    message = UserMessage(text, sender_id="s1", metadata={"locale": "en-GB"})
    parse_data = await MessageProcessor.parse_message(processor, message, tracker)  # type: ignore[arg-type]
    return parse_data, processor.graph_calls


async def test_a_question_is_parsed_by_nlu_and_screened():
    parse_data, graph_calls = await parse(QUESTION)
    assert graph_calls == 1
    assert parse_data["intent"]["name"] == "ask_ketamine"
    assert parse_data["entities"]
    assert parse_data[PARSE_DATA_KEY]["level"] == "none"


async def test_a_crisis_message_skips_nlu_and_gets_the_alert_intent():
    parse_data, graph_calls = await parse(CRISIS)
    assert graph_calls == 0
    assert parse_data["text"] == CRISIS
    assert parse_data["intent"] == {"name": SAFETY_INTENT, "confidence": 1.0}
    assert parse_data["intent_ranking"] == [{"name": SAFETY_INTENT, "confidence": 1.0}]
    assert parse_data["entities"] == []
    assert parse_data[PARSE_DATA_KEY]["level"] in ("crisis", "emergency")
    assert parse_data[PARSE_DATA_KEY]["nlu_skipped"] is True


async def test_the_verdict_uses_the_conversation_so_far():
    """The screen sees the same history as before the change (previous user messages)."""
    import safety

    earlier = "I have been thinking about ending my life most nights"
    follow_up = "which bridges in London are the tallest?"
    tracker = DialogueStateTracker.from_events("s1", [UserUttered(earlier)])
    expected = safety.screen(follow_up, locale="en-GB", history=[earlier])
    parse_data, graph_calls = await parse(follow_up, tracker)
    assert parse_data[PARSE_DATA_KEY]["level"] == expected.level.value
    assert graph_calls == (0 if expected.level.at_least(safety.Level.CRISIS) else 1)
