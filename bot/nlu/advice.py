"""NLU component: the gate for individual medical advice.

Placed after the intent classifier and before the FallbackClassifier. Two jobs:

1. When the text matches one of the high-precision patterns in ``advice_patterns.yml``
   (a personal dose, prescription, or starting/stopping/switching a medicine), the
   intent becomes ``ask_medical_advice`` with full confidence, whatever the classifier
   guessed: every such request gets the decline.
2. When the classifier alone says ``ask_medical_advice`` but the text neither matches a
   pattern nor speaks in the first person ("is it ok to get ketamine from an online
   shop?", "can you get PTSD from seeing an accident?"), or names no medicine, dose or
   treatment at all ("why do I blame myself for what happened?"), it is not a request
   for personal advice: the classifier's next intent is used, so the knowledge base can
   answer it (or say what the assistant can help with). The same holds when the
   message's last question asks in general, whatever the story before it ("I'd rather
   just take something. Can a tablet be enough to deal with PTSD by itself?").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.gate import IntentGate, use_next_intent

__all__ = [
    "MedicalAdviceGate",
    "advice_rule",
    "asks_in_general",
    "asks_why",
    "names_a_treatment",
    "speaks_for_oneself",
    "ADVICE_INTENT",
]

ADVICE_INTENT = "ask_medical_advice"
PATTERNS_FILE = Path(__file__).with_name("advice_patterns.yml")
_FIRST_PERSON = re.compile(
    r"\b(i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself"
    r"|я|мне|меня|мной|мой|моя|мое|мои|моих|моим|мою|моей|себе|сам|сама)\b",
    re.IGNORECASE,
)


MEDICINES_FILE = Path(__file__).with_name("medicines.yml")


@lru_cache(maxsize=1)
def _pattern_data() -> dict[str, Any]:
    """advice_patterns.yml, read once for every table built from it."""
    data: dict[str, Any] = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def medicine_regex() -> str:
    """One alternation of the medicines in medicines.yml (English names end at a word
    boundary, Russian stems take any ending); patterns use it as ``{medicine}``."""
    data = yaml.safe_load(MEDICINES_FILE.read_text(encoding="utf-8"))
    english = "|".join(data["en"])
    russian = "|".join(data["ru"])
    return rf"\b(?:(?:{english})\b|(?:{russian})\w*)"


@lru_cache(maxsize=1)
def _medicine_pattern() -> re.Pattern[str]:
    return re.compile(medicine_regex(), re.IGNORECASE)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str], bool], ...]:
    """(rule id, pattern, whether it needs a medicine of medicines.yml in the text)."""
    data = _pattern_data()
    compiled = []
    for lang, entries in data["patterns"].items():
        for entry in entries:
            needs_medicine = "{medicine}" in entry["regex"]
            regex = entry["regex"].replace("{medicine}", medicine_regex())
            compiled.append(
                (f"{lang}:{entry['id']}", re.compile(regex, re.IGNORECASE), needs_medicine)
            )
    return tuple(compiled)


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+")


@lru_cache(maxsize=1)
def _general_question_checks() -> tuple[re.Pattern[str], re.Pattern[str]]:
    data = _pattern_data()
    return (
        re.compile(data["personal_or_pointing"], re.IGNORECASE),
        re.compile(data["medicine_names"], re.IGNORECASE),
    )


# "can you get PTSD just from driving the tram?": the generic "you" of a question about
# who gets the condition, not a person asking for advice.
_GENERIC_YOU = re.compile(
    r"\b(can|could|do|does|would|will|is it possible to)\s+(you|u|one|people|someone|anyone|a person)\s+"
    r"(really\s+|actually\s+|even\s+)?(get|develop|have|catch|end up with)\s+(ptsd|птср|trauma)\b"
)


def asks_in_general(text: str) -> bool:
    """Whether the message's last question names no person, points at nothing and has
    no figure, and the message names no medicine by name (see ``personal_or_pointing``
    and ``medicine_names`` in advice_patterns.yml)."""
    personal_or_pointing, medicine_names = _general_question_checks()
    folded = _fold(text)
    last = _last_question(folded)
    if last is None or medicine_names.search(folded):
        return False
    return bool(_GENERIC_YOU.search(last)) or not personal_or_pointing.search(last)


# A last question asking why ("Why didn't the pills touch that part?", "почему таблетки не
# помогли?") asks for a reason the articles can give, not for a decision about a person;
# the patterns above still decline "why shouldn't I just stop my sertraline".
_WHY_QUESTION = re.compile(r"^\W*(why|how come|почему|зачем|отчего|с чего)\b", re.IGNORECASE)


def asks_why(text: str) -> bool:
    """Whether the message's last question opens with "why" (EN/RU)."""
    last = _last_question(_fold(text))
    return last is not None and bool(_WHY_QUESTION.search(last))


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е").replace("’", "'")


def _last_question(folded: str) -> str | None:
    """The last sentence with a question mark, or None."""
    questions = [s for s in _SENTENCE_SPLIT.split(folded.strip()) if "?" in s]
    return questions[-1] if questions else None


@lru_cache(maxsize=1)
def _treatment_terms() -> tuple[re.Pattern[str], ...]:
    data = _pattern_data()
    return tuple(re.compile(rx, re.IGNORECASE) for rx in data["treatment_terms"].values())


def names_a_treatment(text: str) -> bool:
    """Whether the text names a medicine, a dose or a treatment (EN/RU)."""
    folded = text.lower().replace("ё", "е").replace("’", "'")
    return any(p.search(folded) for p in _treatment_terms())


def speaks_for_oneself(text: str) -> bool:
    """Whether the text is in the first person (EN/RU), as personal requests are."""
    return bool(_FIRST_PERSON.search(text.replace("ё", "е").replace("’", "'")))


def advice_rule(text: str) -> str | None:
    """The id of the first pattern that matches ``text`` (e.g. ``en:amount_in_mg``), or None."""
    folded = text.lower().replace("ё", "е")
    # The {medicine} patterns are the costly ones (an alternation of ~185 names tried
    # around every word); one search for any name decides whether they can match at all.
    has_medicine: bool | None = None
    for rule_id, pattern, needs_medicine in _patterns():
        if needs_medicine:
            if has_medicine is None:
                has_medicine = bool(_medicine_pattern().search(folded))
            if not has_medicine:
                continue
        if pattern.search(folded):
            return rule_id
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MedicalAdviceGate(IntentGate):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            rule = advice_rule(text)
            if rule is not None:
                intent = {"name": ADVICE_INTENT, "confidence": 1.0}
                message.set(INTENT, intent, add_to_output=True)
                # Only the override in the ranking: with the classifier's runner-up left
                # in, FallbackClassifier's ambiguity check would undo a sure match.
                message.set(INTENT_RANKING_KEY, [dict(intent)], add_to_output=True)
                message.set("advice_rule", rule, add_to_output=True)
            elif (message.get(INTENT) or {}).get("name") == ADVICE_INTENT and (
                not (speaks_for_oneself(text) and names_a_treatment(text))
                or asks_in_general(text)
                or asks_why(text)
            ):
                use_next_intent(message, {ADVICE_INTENT})
        return messages
