"""Answer a treatment question from the knowledge snippets, always with a citation.

The knowledge base is the final judge of whether there is something to say: NLU routes
topic questions here with their intent (a prior for the ranking), and also the messages
it classed as out of scope or could not place. Those are answered without an intent, and
only when a snippet explains them well ("how many people stop their medication early"
is ours even if NLU missed it); a message NLU classed out of scope needs the general
coverage and may not contain words no snippet uses. Otherwise the reply says what the
assistant can help with, or asks which topic is meant. Never a guess.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import latest_intent, latest_text, reply_language
from actions.knowledge import Answer, KnowledgeBase

# Intents whose messages NLU did not recognise as a treatment question, and the reply
# used when the knowledge base has nothing confident to say either.
_UNPLACED = {"out_of_scope": "utter_out_of_scope", "nlu_fallback": "utter_clarify"}


def _answer(knowledge: KnowledgeBase, question: str, lang: str, intent: str | None, confidence: float) -> Answer | None:
    if question.startswith("/"):
        # A topic button ("/ask_ketamine"): no question text to rank by, so the
        # topic's overview snippet.
        return knowledge.overview(intent, lang) if intent else None
    if intent in _UNPLACED:
        return knowledge.answer(question, lang=lang, out_of_scope=intent == "out_of_scope")
    return knowledge.answer(question, lang=lang, intent=intent, intent_confidence=confidence)


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = reply_language(tracker)
        intent, confidence = latest_intent(tracker)
        answer = _answer(KnowledgeBase.load(), latest_text(tracker), lang, intent, confidence)
        if answer is None:
            dispatcher.utter_message(response=_UNPLACED.get(intent or "", "utter_clarify"))
            return []
        dispatcher.utter_message(text=answer.text)
        return []
