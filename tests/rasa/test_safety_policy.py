"""The guard policy on hand-built trackers: what it predicts, which events it adds."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

import safety
from bot.settings import PROJECT_ROOT
from safety.rasa_adapters import SAFETY_INTENT, SafetyPolicy

CRISIS_EN = "I want to kill myself tonight"
CRISIS_RU = "я больше не хочу жить"
QUESTION = "how fast does ketamine work?"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture()
def policy(tmp_path: Path) -> SafetyPolicy:
    return SafetyPolicy(
        SafetyPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("safety_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def user(text: str, intent: str = "ask_ketamine", locale: str | None = None) -> UserUttered:
    return UserUttered(
        text, {"name": intent, "confidence": 0.9}, metadata={"locale": locale} if locale else {}
    )


def tracker(domain: Domain, *events: object) -> DialogueStateTracker:
    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)]
    return DialogueStateTracker.from_events("t", [*start, *events], slots=domain.slots)


def predicted(policy: SafetyPolicy, domain: Domain, t: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(t, domain)
    if max(prediction.probabilities) == 0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


@pytest.mark.parametrize(
    ("text", "locale", "numbers"),
    [
        (CRISIS_EN, "en-GB", ["999", "116 123"]),
        (CRISIS_EN, "de-DE", ["112"]),
        (CRISIS_RU, "ru", ["8-800-2000-122", "112"]),
    ],
)
def test_crisis_first_reply_is_the_helpline_reply(policy, domain, text, locale, numbers):
    t = tracker(domain, user(text, "greet", locale))
    prediction = policy.predict_action_probabilities(t, domain)
    assert domain.action_names_or_texts[prediction.max_confidence_index] == "utter_safety"
    assert prediction.max_confidence == 1.0
    assert prediction.is_no_user_prediction  # beats an active form's happy path
    replies = [e.value for e in prediction.optional_events if isinstance(e, SlotSet) and e.key == "safety_reply"]
    assert len(replies) == 1
    for number in numbers:
        assert number in replies[0]
    verdict = safety.screen(text, locale=locale)
    assert replies[0] == safety.compose_reply(verdict)


def test_crisis_deactivates_an_active_form(policy, domain):
    t = tracker(domain, ActiveLoop("some_form"), user(CRISIS_EN))
    prediction = policy.predict_action_probabilities(t, domain)
    assert ActiveLoop(None) in prediction.optional_events


def test_after_the_crisis_reply_it_listens(policy, domain):
    t = tracker(domain, user(CRISIS_EN), ActionExecuted("utter_safety"), BotUttered("help"))
    assert predicted(policy, domain, t) == ACTION_LISTEN_NAME


def test_no_treatment_content_after_a_crisis_reply(policy, domain):
    """Even if another policy ran something after the crisis reply, no extra reply is added."""
    t = tracker(
        domain, user(CRISIS_EN), ActionExecuted("utter_safety"), ActionExecuted("action_answer_question")
    )
    assert predicted(policy, domain, t) is None


def test_alert_intent_from_earlier_layers_is_never_downgraded(policy, domain):
    t = tracker(domain, user("hello there", SAFETY_INTENT))
    assert predicted(policy, domain, t) == "utter_safety"


def test_ordinary_question_abstains_but_sets_language_slots(policy, domain):
    t = tracker(domain, user("как быстро действует кетамин?", locale="ru"))
    prediction = policy.predict_action_probabilities(t, domain)
    assert max(prediction.probabilities) == 0
    assert SlotSet("lang", "ru") in prediction.events


def test_first_reply_of_a_session_gets_the_notice_once(policy, domain):
    first = tracker(domain, user(QUESTION), ActionExecuted("action_answer_question"))
    assert predicted(policy, domain, first) == "utter_session_notice"
    shown = tracker(
        domain,
        user(QUESTION),
        ActionExecuted("action_answer_question"),
        ActionExecuted("utter_session_notice"),
    )
    assert predicted(policy, domain, shown) == ACTION_LISTEN_NAME
    later = tracker(
        domain,
        user(QUESTION),
        ActionExecuted("action_answer_question"),
        ActionExecuted("utter_session_notice"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("and what about MDMA?", "ask_mdma"),
        ActionExecuted("action_answer_question"),
    )
    assert predicted(policy, domain, later) is None


def test_no_repeat_of_a_notice_the_channel_has_just_shown(policy, domain):
    """Telegram's /start shows the notice itself and says so in the next text's metadata."""
    shown_by_channel = UserUttered(
        QUESTION, {"name": "ask_ketamine", "confidence": 0.9},
        metadata={"locale": "en-GB", "notice_shown": "true"},
    )
    t = tracker(domain, shown_by_channel, ActionExecuted("action_answer_question"))
    assert predicted(policy, domain, t) is None
    later = tracker(
        domain, shown_by_channel, ActionExecuted("action_answer_question"),
        ActionExecuted(ACTION_LISTEN_NAME), user("and what about MDMA?", "ask_mdma"),
        ActionExecuted("action_answer_question"),
    )
    assert predicted(policy, domain, later) is None
    # Only "true" counts; and the flag never holds back a crisis reply.
    other = UserUttered(QUESTION, {"name": "ask_ketamine", "confidence": 0.9}, metadata={"notice_shown": "no"})
    assert predicted(policy, domain, tracker(domain, other, ActionExecuted("action_answer_question"))) == (
        "utter_session_notice"
    )
    crisis = UserUttered("I want to die", {"name": "ask_ketamine", "confidence": 0.9},
                         metadata={"notice_shown": "true"})
    assert predicted(policy, domain, tracker(domain, crisis)) == "utter_safety"


def test_notice_text_comes_from_the_helplines_data(policy, domain):
    t = tracker(domain, user(QUESTION, locale="en-GB"), ActionExecuted("action_answer_question"))
    prediction = policy.predict_action_probabilities(t, domain)
    notices = [e.value for e in prediction.optional_events if isinstance(e, SlotSet) and e.key == "session_notice"]
    assert notices == [safety.compose_notice("en", "UK")]
    assert "999" in notices[0] and "112" in notices[0]


def test_support_gets_a_signpost_after_the_normal_answer(policy, domain):
    text = "I tried to end my life years ago, does EMDR help with old trauma?"
    assert safety.screen(text).level == safety.Level.SUPPORT
    t = tracker(domain, user(text, "ask_psychotherapy"), ActionExecuted("action_answer_question"))
    prediction = policy.predict_action_probabilities(t, domain)
    assert domain.action_names_or_texts[prediction.max_confidence_index] == "utter_safety_signpost"
    signposts = [e.value for e in prediction.optional_events if isinstance(e, SlotSet) and e.key == "safety_signpost"]
    assert signposts == [safety.compose_signpost(safety.screen(text))]


def test_context_from_an_earlier_message_counts(policy, domain):
    t = tracker(
        domain,
        user("I lost my job and there is no point in anything anymore", "out_of_scope"),
        ActionExecuted("utter_out_of_scope"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("which bridges in London are taller than 25 metres?", "out_of_scope"),
    )
    assert predicted(policy, domain, t) == "utter_safety"


def test_context_counts_across_a_session_boundary(policy, domain):
    """A hopeless message before a pause still explains a later question about heights."""
    t = tracker(
        domain,
        user("I lost my job and there is no point in anything anymore", "out_of_scope"),
        ActionExecuted("utter_out_of_scope"),
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("which bridges in London are taller than 25 metres?", "out_of_scope"),
    )
    assert predicted(policy, domain, t) == "utter_safety"
