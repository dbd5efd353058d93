"""The NLU training data (data/nlu/en, data/nlu/ru): intents, counts, no clashes."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

NLU = Path(__file__).resolve().parents[2] / "data" / "nlu"
TOPIC_INTENTS = {
    "ask_ptsd",
    "ask_psychotherapy",
    "ask_medication",
    "ask_ketamine",
    "ask_mdma",
    "ask_treatment_choice",
}
OTHER_INTENTS = {
    "ask_sources",
    "greet",
    "goodbye",
    "thank",
    "ask_whoareyou",
    "ask_booking",
    "ask_medical_advice",
    "out_of_scope",
}
# The safety screen handles crisis text before NLU; none may be in training data.
CRISIS = re.compile(
    r"suicid|kill (my|me)|end (my|it all)|self[- ]?harm|hurt myself|overdos|want to die|"
    r"суицид|самоубий|покончить|убить себя|порезать|навредить себе|передоз|не хочу жить|умереть",
    re.IGNORECASE,
)


def _examples(lang: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((NLU / lang).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["version"] == "3.1", path
        for block in data["nlu"]:
            lines = str(block["examples"]).splitlines()
            found[block["intent"]] += [
                ln.strip()[2:] for ln in lines if ln.strip().startswith("- ")
            ]
    return found


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_intent_has_enough_examples(lang: str) -> None:
    examples = _examples(lang)
    assert set(examples) == TOPIC_INTENTS | OTHER_INTENTS
    for intent in TOPIC_INTENTS:
        assert len(examples[intent]) >= 28, intent
    for intent in OTHER_INTENTS:
        assert len(examples[intent]) >= 15, intent


def test_no_example_in_two_intents() -> None:
    owner: dict[str, set[str]] = defaultdict(set)
    for lang in ("en", "ru"):
        for intent, texts in _examples(lang).items():
            for text in texts:
                owner[text.lower()].add(intent)
    assert {t: i for t, i in owner.items() if len(i) > 1} == {}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_duplicates_within_an_intent(lang: str) -> None:
    for intent, texts in _examples(lang).items():
        assert [t for t, n in Counter(t.lower() for t in texts).items() if n > 1] == [], intent


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_crisis_text_in_training_data(lang: str) -> None:
    hits = [t for texts in _examples(lang).values() for t in texts if CRISIS.search(t)]
    assert hits == []


def test_russian_files_are_in_russian() -> None:
    for intent, texts in _examples("ru").items():
        cyrillic = sum(bool(re.search(r"[а-яё]", t, re.I)) for t in texts)
        assert cyrillic >= 0.85 * len(texts), intent


def test_rasa_reads_the_training_data() -> None:
    loading = pytest.importorskip("rasa.shared.nlu.training_data.loading")
    data = loading.load_data(str(NLU))
    assert set(data.intents) == TOPIC_INTENTS | OTHER_INTENTS
    assert len(data.training_examples) == sum(
        len(v) for lang in ("en", "ru") for v in _examples(lang).values()
    )
    assert not data.entity_examples  # no entity annotations slipped in
