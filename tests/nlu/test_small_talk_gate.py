"""The small-talk gate: a greeting or thanks that asks about the domain is a question."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.small_talk import SmallTalkGate, asks_about_the_domain


def _classified(text: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    return message


def test_a_domain_question_taken_for_thanks_gets_the_next_intent() -> None:
    message = _classified(
        "Is any group of medicines better than the others for PTSD?",
        [("thank", 0.9), ("ask_medication", 0.07), ("greet", 0.03)],
    )
    (out,) = SmallTalkGate().process([message])
    assert out.get(INTENT)["name"] == "ask_medication"
    assert [r["name"] for r in out.get(INTENT_RANKING_KEY)] == ["ask_medication"]


@pytest.mark.parametrize(
    "text", ["thanks so much for explaining emdr!", "hello", "спасибо за ответ про терапию", "пока"]
)
def test_plain_small_talk_stays_small_talk(text: str) -> None:
    message = _classified(text, [("thank", 0.95), ("ask_psychotherapy", 0.05)])
    (out,) = SmallTalkGate().process([message])
    assert out.get(INTENT)["name"] == "thank"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi, what is emdr", True),
        ("спасибо! а кетамин как быстро действует?", True),
        ("thank you, that helps with my ptsd", False),
        ("bye, I'll ask about ketamine tomorrow", False),
    ],
)
def test_asks_about_the_domain(text: str, expected: bool) -> None:
    assert asks_about_the_domain(text) is expected


def test_other_intents_are_left_alone() -> None:
    message = _classified("what is ptsd?", [("ask_ptsd", 0.99), ("thank", 0.01)])
    (out,) = SmallTalkGate().process([message])
    assert out.get(INTENT)["name"] == "ask_ptsd"


@pytest.mark.parametrize(
    "text",
    [
        "the clinic's leaflet mentions a big review of ptsd medicines - what did it find?",
        "В брошюре клиники написано про кетамин — как быстро он действует?",
        # a formal address and a clinician noun are not booking words
        "Dear doctors, please explain how a psychiatrist chooses medication for PTSD.",
        "Уважаемые врачи, расскажите, по каким признакам психиатр выбирает антидепрессант при ПТСР.",
    ],
)
def test_a_domain_question_taken_for_booking_gets_the_next_intent(text: str) -> None:
    message = _classified(text, [("ask_booking", 0.8), ("ask_medication", 0.15)])
    (out,) = SmallTalkGate().process([message])
    assert out.get(INTENT)["name"] == "ask_medication"


@pytest.mark.parametrize(
    "text",
    [
        "can I book an EMDR session with you?",
        "do you offer ketamine treatment at the clinic?",
        "Можно записаться на консультацию по поводу ПТСР?",
        "сколько стоит курс терапии у вас?",
    ],
)
def test_booking_requests_that_name_a_treatment_stay_booking(text: str) -> None:
    message = _classified(text, [("ask_booking", 0.8), ("ask_psychotherapy", 0.15)])
    (out,) = SmallTalkGate().process([message])
    assert out.get(INTENT)["name"] == "ask_booking"
