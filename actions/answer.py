"""Answer a treatment question from the knowledge snippets, always with a citation."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import latest_intent, latest_text, reply_language
from actions.knowledge import KnowledgeBase


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = reply_language(tracker)
        intent, confidence = latest_intent(tracker)
        question = latest_text(tracker)
        knowledge = KnowledgeBase.load()
        if question.startswith("/"):
            # A topic button ("/ask_ketamine"): there is no question text to rank by,
            # so answer with the topic's overview snippet.
            answer = knowledge.overview(intent, lang) if intent else None
        else:
            answer = knowledge.answer(
                question, lang=lang, intent=intent, intent_confidence=confidence
            )
        if answer is None:
            # Not confident: ask which topic is meant, never guess.
            dispatcher.utter_message(response="utter_clarify")
            return []
        dispatcher.utter_message(text=answer.text)
        return []
