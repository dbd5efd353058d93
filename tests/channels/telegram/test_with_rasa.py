"""The Telegram bridge in front of the real stack (Rasa server, action server, SQLite).

``python -m bot telegram`` talks to the fake Bot API and to the Rasa server started by
the session fixture ``stack`` (tests/conftest.py), with its own model, databases and
safety layer. This is the whole path a Telegram user's message takes.
"""

from __future__ import annotations

import sqlite3

import pytest

import safety

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300, func_only=True)]  # fixtures (training, start-up) bounded on their own

RU_CRISIS = "я больше не хочу жить"
EN_CRISIS = "I want to kill myself"


@pytest.fixture
def bridge(stack, fake_api, launch):
    # The default RASA_TIMEOUT_SECONDS (5 s): these answers must come from Rasa in time,
    # not from the fail-safe.
    return launch(stack.settings.rasa_url, settings=stack.settings)


def _tracker_rows(stack, sender: str) -> int:
    path = stack.settings.tracker_db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0])


def test_russian_crisis_from_a_russian_telegram_gets_the_russian_helplines_first(fake_api, bridge):
    fake_api.push_text(401, RU_CRISIS, language_code="ru")
    texts = fake_api.settle(401, quiet=1.5, timeout=60)
    assert texts[0] == safety.compose_reply(safety.screen(RU_CRISIS, locale="ru"))
    assert "8-800-2000-122" in texts[0]
    log = bridge.log()
    assert RU_CRISIS not in log
    assert "fail-safe" not in log  # Rasa answered, in time


def test_english_crisis_gets_uk_numbers(fake_api, bridge):
    fake_api.push_text(402, EN_CRISIS, language_code="en-GB")
    texts = fake_api.settle(402, quiet=1.5, timeout=60)
    assert texts[0] == safety.compose_reply(safety.screen(EN_CRISIS, locale="en-GB"))
    for number in ("999", "116 123", "85258"):
        assert number in texts[0]


def test_english_question_gets_a_cited_answer(fake_api, bridge):
    fake_api.push_text(403, "how fast does ketamine work?", language_code="en-GB")
    texts = fake_api.settle(403, quiet=1.5, timeout=60)
    assert texts
    assert "Source:" in texts[0].splitlines()[-1]
    assert "ketamine" in texts[0].lower()


def test_russian_question_gets_a_russian_cited_answer(fake_api, bridge):
    fake_api.push_text(404, "как быстро действует кетамин при ПТСР?", language_code="ru")
    texts = fake_api.settle(404, quiet=1.5, timeout=60)
    assert texts and "Источник" in texts[0]


def test_sticker_and_start(fake_api, bridge):
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    fake_api.push({"message": fake_api.message(405, "ru", sticker=sticker)})
    assert "только текстовые" in fake_api.wait_sent(405)[0]
    fake_api.push_text(406, "/start", language_code="en-GB")
    notice = safety.compose_notice("en", "UK")
    assert notice in fake_api.wait_sent(406)[0]
    # The first question after /start: answered, and Rasa does not repeat the notice the
    # bridge has just shown (the chat with no /start below gets it from Rasa).
    fake_api.push_text(406, "what is EMDR?", language_code="en-GB")
    texts = fake_api.settle(406, quiet=1.5, timeout=60, at_least=2)
    assert any("Source:" in t for t in texts[1:])
    assert sum(notice in t for t in texts) == 1
    fake_api.push_text(408, "what is EMDR?", language_code="en-GB")
    assert any(notice in t for t in fake_api.settle(408, quiet=1.5, timeout=60))


def test_forget_erases_the_stored_conversation(stack, fake_api, bridge):
    chat = 407
    fake_api.push_text(chat, "what is EMDR?", language_code="en-GB")
    fake_api.settle(chat, quiet=1.5, timeout=60)
    sender = f"telegram:{chat}"
    assert _tracker_rows(stack, sender) > 0
    sent = len(fake_api.sent(chat))
    fake_api.push_text(chat, "/forget")
    fake_api.wait_sent(chat, sent + 1)
    fake_api.push_callback(chat, "forget:yes")
    done = fake_api.wait_sent(chat, sent + 2, timeout=60)[-1]
    assert "erased" in done
    assert _tracker_rows(stack, sender) == 0


def test_a_minimal_bot_api_is_enough(stack, fake_api, launch):
    """Only getMe, getUpdates, sendMessage (answering just a message_id) and setWebhook."""
    fake_api.missing_methods |= {
        "deleteWebhook", "sendChatAction", "answerCallbackQuery", "editMessageReplyMarkup"
    }  # fmt: skip
    fake_api.minimal_results = True
    launch(stack.settings.rasa_url, settings=stack.settings)
    fake_api.push_text(408, RU_CRISIS, language_code="ru")
    fake_api.push_text(409, EN_CRISIS, language_code="en")
    fake_api.push_text(410, "what is EMDR?", language_code="en")
    fake_api.push_text(411, "что такое ДПДГ?", language_code="ru")
    ru = fake_api.settle(408, quiet=1.5, timeout=60)
    assert ru[0] == safety.compose_reply(safety.screen(RU_CRISIS, locale="ru"))
    en = fake_api.settle(409, quiet=1.5, timeout=60)
    assert en[0] == safety.compose_reply(safety.screen(EN_CRISIS, locale="en"))
    assert "Source:" in fake_api.settle(410, quiet=1.5, timeout=60)[0]
    assert "Источник" in fake_api.settle(411, quiet=1.5, timeout=60)[0]
    # A message Telegram accepted is not sent again because its answer was unreadable.
    for chat in (408, 409, 410, 411):
        texts = fake_api.sent_texts(chat)
        assert len(texts) == len(set(texts))
