"""Action tests on saved trackers, through rasa-sdk's real executor.

The trackers in trackers/ were saved from a real conversation with the Rasa server
(``GET /conversations/{id}/tracker``), cut back to the moment the action was called.
Expected replies are built from the knowledge data (snippet text + citation line), not
from the ranking code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk.executor import ActionExecutor

from actions.knowledge import KnowledgeBase, split_sentences
from bot.settings import PROJECT_ROOT

TRACKERS = Path(__file__).parent / "trackers"


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return Domain.load(str(PROJECT_ROOT / "domain")).as_dict()


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


async def run(executor: ActionExecutor, domain: dict[str, Any], action: str, tracker_file: str) -> dict[str, Any]:
    tracker = json.loads((TRACKERS / tracker_file).read_text(encoding="utf-8"))
    result = await executor.run(
        {"next_action": action, "sender_id": tracker["sender_id"], "tracker": tracker, "domain": domain, "version": "3.6.2"}
    )
    assert result is not None
    return result


def reply(text: str) -> dict[str, Any]:
    """A text message as the CollectingDispatcher records it."""
    return {
        "text": text, "buttons": [], "elements": [], "custom": {}, "template": None,
        "response": None, "image": None, "attachment": None,
    }


def answer_of(kb: KnowledgeBase, snippet_id: str, lang: str) -> str:
    """One snippet in ``lang`` followed by its source's citation line."""
    snippet = kb.snippet(snippet_id)
    return snippet.text_in(lang) + "\n" + kb.sources[snippet.source].citation(lang)


async def test_ketamine_speed_question_gets_the_speed_snippet_with_citation(executor, domain, kb):
    result = await run(executor, domain, "action_answer_question", "en_ketamine_speed.json")
    assert result["events"] == []
    assert len(result["responses"]) == 1
    text = result["responses"][0]["text"]
    body, citation = text.rsplit("\n", 1)
    assert body.startswith(kb.snippet("ketamine_speed").text_in("en"))
    assert citation == kb.sources["white_ketamine_meta"].citation("en")
    assert 2 <= len(split_sentences(body)) <= 4


async def test_russian_question_gets_the_russian_snippet_and_citation(executor, domain, kb):
    result = await run(executor, domain, "action_answer_question", "ru_emdr.json")
    assert result["events"] == []
    (response,) = result["responses"]
    body, citation = response["text"].rsplit("\n", 1)
    assert body.startswith(kb.snippet("psychotherapy_emdr").text_in("ru"))
    assert citation.startswith("Источник:")


async def test_topic_button_gets_the_topic_overview_exactly(executor, domain, kb):
    result = await run(executor, domain, "action_answer_question", "en_button_mdma.json")
    assert result == {
        "events": [],
        "responses": [reply(answer_of(kb, "mdma_what_is", "en"))],
    }


async def test_unclear_question_asks_instead_of_guessing(executor, domain):
    result = await run(executor, domain, "action_answer_question", "en_unclear_topic.json")
    assert result["events"] == []
    assert [r["response"] for r in result["responses"]] == ["utter_clarify"]
    assert result["responses"][0]["text"] is None


async def test_sources_lists_every_article_once(executor, domain, kb):
    result = await run(executor, domain, "action_list_sources", "en_sources.json")
    expected = "\n".join(
        ["My answers come only from these articles:"]
        + [f"• {source.reference()}" for source in kb.sources.values()]
    )
    assert result == {"events": [], "responses": [reply(expected)]}
