"""Curated, cited knowledge about PTSD treatments, and the answers composed from it.

Pure Python (no rasa_sdk), so it can be used by the action server, the evaluation and
the tests alike::

    kb = KnowledgeBase.load()
    ans = kb.answer("how fast does ketamine work?", lang="en", intent="ask_ketamine",
                    intent_confidence=0.93)
    if ans is None: ...  # not sure: offer kb.topic_buttons(lang) instead of guessing
"""

from .base import KnowledgeBase
from .composing import Answer, split_sentences
from .loading import KnowledgeError, Snippet, Source

__all__ = ["Answer", "KnowledgeBase", "KnowledgeError", "Snippet", "Source", "split_sentences"]
