"""The concept detector (safety/detectors/concepts.py + concepts.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

import safety
from safety import Level
from safety.analysis import analyse
from safety.detectors.concepts import ConceptDetector, ConceptRule, _load_concepts, _load_rules
from safety.detectors.registry import all_detectors

DETECTOR = next(d for d in all_detectors() if isinstance(d, ConceptDetector))
EXAMPLES = [(r, e) for r in DETECTOR.rules for e in r.rule.examples]
COUNTER = [(r, e) for r in DETECTOR.rules for e in r.rule.counter_examples]


def _id(value: object) -> str:
    return value.rule.id if isinstance(value, ConceptRule) else str(value)[:40]


def test_yaml_has_concepts_rules_and_a_version() -> None:
    assert DETECTOR.version not in ("", "0")
    assert len(DETECTOR.concepts.names) > 50 and len(DETECTOR.rules) > 50
    assert all(r.rule.id.startswith("concept.") for r in DETECTOR.rules)


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=_id)
def test_rule_fires_on_its_examples(rule: ConceptRule, example: str) -> None:
    hits = [h for h in DETECTOR.detect(analyse(example)) if h.rule.id == rule.rule.id]
    assert any(h.rule.level == rule.rule.level for h in hits), (example, [(h.rule.id, h.notes) for h in hits])


@pytest.mark.parametrize(("rule", "example"), COUNTER, ids=_id)
def test_counter_examples_stay_below_crisis(rule: ConceptRule, example: str) -> None:
    verdict = safety.screen(example)
    raised = [r for r in verdict.reasons if r.detector == "concepts" and r.level.at_least(Level.CRISIS)]
    assert not raised, (example, raised)


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to live anymore", "i really don't want to be alive", "I can't go on",
        "not sure i want to stay alive", "не хочу жить", "жить не хочется", "неохота больше жить",
        "не вижу смысла жить дальше", "I never want to wake up again", "i can't do this anymore",
    ],
)
def test_negation_never_hides_ideation(text: str) -> None:
    assert safety.screen(text).level.at_least(Level.CRISIS)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, just tired of the nightmares", "I don't want to die, I want to get better",
        "умирать не хочу, просто устала", "No self harm, no suicidal thoughts, just bad sleep",
        "без самоповреждений и без суицидальных мыслей", "I have no plans to hurt myself",
    ],
)
def test_true_denials_are_not_crisis(text: str) -> None:
    assert safety.screen(text).level < Level.CRISIS


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("why do people want to kill themselves?", "general"),
        ("in the book the main character wants to die", "fiction"),
        ("do you ever want to die?", "second person"),
        ("my grandma is dying and I think about it all the time", "about other"),
    ],
)
def test_frames_lower_with_a_note(text: str, note: str) -> None:
    verdict = safety.screen(text)
    assert verdict.level < Level.CRISIS
    assert any(note in r.rule for r in verdict.reasons if r.detector == "concepts"), verdict.reasons


def test_reasons_name_the_concepts() -> None:
    verdict = safety.screen("honestly the thought of not having to wake up anymore keeps me calm")
    assert verdict.level.at_least(Level.CRISIS)
    reason = next(r for r in verdict.reasons if r.rule.startswith("concept.think_death"))
    assert "THINK+DEATH" in reason.rule and reason.matched


def test_combination_across_sentences_and_history() -> None:
    assert safety.screen("I've got 60 paracetamol. How many would be enough?").level.at_least(Level.CRISIS)
    verdict = safety.screen("what's the tallest bridge near me", history=["nothing will ever get better"])
    assert verdict.level.at_least(Level.CRISIS)


def test_russian_forms_come_from_lemmas() -> None:
    for text in ("хочу умереть", "хотела умереть, и сейчас хочу", "мне хочется умереть"):
        hits = DETECTOR.detect(analyse(text))
        assert any(h.rule.id == "concept.wish_death" for h in hits), text


def test_only_an_emergency_is_asked_of_a_crisis() -> None:
    # The phrase rules already make this a crisis; the concepts are asked for emergencies only.
    hits = DETECTOR.detect(analyse("I want to die. The pills are lined up in front of me"), at_least=Level.EMERGENCY)
    assert hits and all(h.rule.level == Level.EMERGENCY for h in hits)


def test_unknown_concept_in_a_rule_is_an_error(tmp_path: Path) -> None:
    data = {"concepts": {"A": {"words": ["a"]}}, "rules": [{"id": "x", "level": "crisis", "all": ["B"]}]}
    concepts = _load_concepts(data)
    with pytest.raises(ValueError, match="unknown"):
        _load_rules(data, concepts.names)


def test_long_message_is_bounded() -> None:
    text = "I want to die. " * 3000 + "what is EMDR?"
    verdict = safety.screen(text)
    assert verdict.level == Level.CRISIS
    assert sum(1 for r in verdict.reasons if r.rule.startswith("concept.wish_death")) <= 8
