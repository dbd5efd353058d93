"""Structural rules of the domain and training data that the safety layer relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.loading import load_data

from bot.settings import PROJECT_ROOT
from safety.rasa_adapters import SAFETY_INTENT

DOMAIN_DIR = PROJECT_ROOT / "domain"
RULES_DIR = PROJECT_ROOT / "data" / "rules"
NLU_DIR = PROJECT_ROOT / "data" / "nlu"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_DIR))


def _rules() -> list[dict]:
    rules = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        rules += yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])
    return rules


def test_every_rule_answers_one_intent_with_exactly_one_action():
    """The safety policy appends its signpost/notice after the turn's only action.

    A rule that chained two actions would have the notice inserted between them and
    stop matching, so this shape is a contract.
    """
    rules = _rules()
    assert rules
    for rule in rules:
        steps = rule["steps"]
        kinds = [next(iter(step)) for step in steps]
        assert kinds == ["intent", "action"], rule["rule"]


def test_safety_alert_has_no_rule_and_no_training_examples():
    assert all(rule["steps"][0]["intent"] != SAFETY_INTENT for rule in _rules())
    nlu = load_data(str(NLU_DIR))
    assert SAFETY_INTENT not in nlu.intents


def test_every_trained_intent_is_in_the_domain_and_has_a_rule(domain):
    nlu = load_data(str(NLU_DIR))
    ruled = {rule["steps"][0]["intent"] for rule in _rules()}
    for intent in nlu.intents:
        assert intent in domain.intents, intent
        assert intent in ruled, intent


def test_no_slot_is_filled_from_raw_text_of_a_safety_alert(domain):
    """`from_text` mappings would swallow crisis text; any such mapping must exclude it."""
    for slot in domain.slots:
        for mapping in slot.mappings:
            if mapping.get("type") == "from_text":
                excluded = mapping.get("not_intent") or []
                assert SAFETY_INTENT in excluded, slot.name


def test_no_phone_number_is_written_in_the_domain():
    """Numbers come only from safety/helplines.yaml, composed into slots."""
    pattern = re.compile(r"\b(999|112|116\s?123|85258|8-?800)\b")
    for path in sorted(Path(DOMAIN_DIR).glob("*.yml")):
        assert not pattern.search(path.read_text(encoding="utf-8")), path.name


def test_every_response_has_a_russian_variation(domain):
    echo_only = {"utter_safety", "utter_safety_signpost", "utter_session_notice"}
    for name, variations in domain.responses.items():
        if name in echo_only:
            continue
        conditions = [v.get("condition") for v in variations]
        assert any(
            c and any(part.get("name") == "lang" and part.get("value") == "ru" for part in c)
            for c in conditions
        ), name
        assert any(not c for c in conditions), f"{name} needs an unconditional (English) variation"


def test_decline_never_mentions_a_dose(domain):
    for variation in domain.responses["utter_decline_medical_advice"]:
        assert not re.search(r"\d", variation["text"])
    texts = " ".join(v["text"] for v in domain.responses["utter_decline_medical_advice"])
    # The answer evaluation recognises a decline by these words.
    assert "your own clinician" in texts
    assert "вашим лечащим врачом" in texts
