"""List the evidence articles the answers come from."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import reply_language
from actions.knowledge import KnowledgeBase

_INTRO = {
    "en": "My answers come only from these articles:",
    "ru": "Мои ответы основаны только на этих статьях:",
}


class ActionListSources(Action):
    def name(self) -> str:
        return "action_list_sources"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = reply_language(tracker)
        lines = [_INTRO[lang]]
        lines += [f"• {source.reference()}" for source in KnowledgeBase.load().sources.values()]
        dispatcher.utter_message(text="\n".join(lines))
        return []
