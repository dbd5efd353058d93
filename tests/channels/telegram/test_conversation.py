"""The bridge's behaviour end to end, with a scripted Rasa where the real one cannot help.

Each test runs the real ``python -m bot telegram`` against the fake Bot API. Rasa is a
small scripted server here, so these tests show what the *bridge* does (commands,
non-text messages, splitting, buttons, locale, rate limit, order, odd input); the
real Rasa stack is used in test_with_rasa.py.
"""

from __future__ import annotations

import time

import pytest

import safety

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

EN_CRISIS = "I want to kill myself"


def echo(body: dict) -> tuple[int, list, float]:
    return 200, [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}], 0


@pytest.fixture
def rasa(start_fake_rasa):
    return start_fake_rasa(echo)


# --- non-text, commands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "language_code", "expected"),
    [
        ({"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
                      "height": 512, "is_animated": False, "is_video": False}}, "en", "only read text"),
        ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}, "ru", "только текстовые"),
        ({"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}, "en", "only read text"),
        ({"document": {"file_id": "d", "file_unique_id": "d"}}, "en-GB", "only read text"),
        ({"location": {"latitude": 51.5, "longitude": -0.1}}, "ru", "только текстовые"),
        ({"contact": {"phone_number": "+440000", "first_name": "X"}}, "en", "only read text"),
    ],
)  # fmt: skip
def test_non_text_gets_a_kind_reply_in_the_users_language(
    fake_api, launch, rasa, content, language_code, expected
):
    launch(rasa.url)
    fake_api.push({"message": fake_api.message(201, language_code, **content)})
    assert expected in fake_api.wait_sent(201)[0]
    assert rasa.requests == []  # nothing to forward


def test_a_caption_that_screens_as_crisis_is_answered_as_text(fake_api, launch, rasa):
    launch(rasa.url)
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    fake_api.push({"message": fake_api.message(202, "en", photo=photo, caption=EN_CRISIS)})
    fake_api.push({"message": fake_api.message(203, "en", photo=photo, caption="my cat")})
    assert fake_api.wait_sent(202) == [f"echo: {EN_CRISIS}"]  # went to Rasa, which screens it
    assert "only read text" in fake_api.wait_sent(203)[0]


def test_start_explains_itself_with_the_notice_in_both_languages(fake_api, launch, rasa):
    launch(rasa.url)
    fake_api.push_text(204, "/start", language_code="en-GB")
    fake_api.push_text(205, "/start", language_code="ru")
    en, ru = fake_api.wait_sent(204)[0], fake_api.wait_sent(205)[0]
    assert safety.compose_notice("en", "UK") in en
    where = safety.resolve_locale("ru")
    assert safety.compose_notice(where.lang, where.region) in ru
    assert en.startswith(safety.compose_notice("en", "UK"))  # who we are, numbers: first
    assert "/forget" in en and "clinical audit" in en and "personal medical advice" in en
    assert "/forget" in ru and "аудит" in ru
    assert rasa.requests == []  # the bridge answers /start itself


def test_help_and_unknown_commands(fake_api, launch, rasa):
    launch(rasa.url)
    fake_api.push_text(206, "/help")
    fake_api.push_text(207, "/frobnicate")
    fake_api.push_text(208, "/kill myself")
    assert "/language" in fake_api.wait_sent(206)[0]
    assert "don't know that command" in fake_api.wait_sent(207)[0]
    # A "command" that screens as crisis is a message like any other.
    assert fake_api.wait_sent(208) == ["echo: /kill myself"]


def test_edits_are_not_read_but_a_crisis_edit_is(fake_api, launch, rasa):
    launch(rasa.url)
    fake_api.push({"edited_message": fake_api.message(209, "en", text="fixed typo", edit_date=1)})
    fake_api.push({"edited_message": fake_api.message(210, "en", text=EN_CRISIS, edit_date=1)})
    assert "new message" in fake_api.wait_sent(209)[0]
    assert fake_api.wait_sent(210) == [f"echo: {EN_CRISIS}"]


def test_group_chats_are_pointed_to_a_private_chat(fake_api, launch, rasa):
    launch(rasa.url)
    fake_api.push_text(-300, "/start", chat_type="group")
    fake_api.push_text(-301, EN_CRISIS, chat_type="supergroup")
    fake_api.push_text(-302, "just chatting", chat_type="group")
    assert "private chat" in fake_api.wait_sent(-300)[0]
    crisis = fake_api.wait_sent(-301)
    assert crisis[0] == safety.compose_reply(safety.screen(EN_CRISIS, locale="en"))
    time.sleep(1)
    assert fake_api.sent(-302) == []  # not addressed to the bot: no spam in the group
    assert rasa.requests == []  # group conversations are never stored


# --- forwarding ----------------------------------------------------------------------------------


def test_forwarded_with_sender_locale_and_channel(fake_api, launch, rasa):
    launch(rasa.url)
    fake_api.push_text(211, "привет", language_code="ru")
    fake_api.push_text(212, "hello", language_code=None)
    fake_api.wait_sent(211)
    fake_api.wait_sent(212)
    by_sender = {r["sender"]: r for r in rasa.requests}
    assert by_sender["telegram:211"]["metadata"] == {"locale": "ru", "channel": "telegram"}
    assert by_sender["telegram:211"]["message"] == "привет"
    assert by_sender["telegram:212"]["metadata"] == {"channel": "telegram"}


def test_language_and_region_choices_change_the_locale(fake_api, launch, rasa):
    launch(rasa.url)
    chat = 213
    fake_api.push_text(chat, "/region", language_code="ru")
    assert "Где вы" in fake_api.wait_sent(chat, 1)[0]
    fake_api.push_callback(chat, "region:EU", language_code="ru")
    assert "страна" in fake_api.wait_sent(chat, 2)[1].lower()
    fake_api.push_callback(chat, "country:DE", language_code="ru")
    done = fake_api.wait_sent(chat, 3)[2]
    assert "Германия" in done
    assert safety.compose_notice("ru", "EU") in done
    fake_api.push_text(chat, "вопрос", language_code="ru")
    fake_api.wait_sent(chat, 4)
    assert rasa.requests[-1]["metadata"]["locale"] == "ru-DE"

    fake_api.push_text(chat, "/language en", language_code="ru")
    assert "English" in fake_api.wait_sent(chat, 5)[4]
    fake_api.push_text(chat, "question", language_code="ru")
    fake_api.wait_sent(chat, 6)
    assert rasa.requests[-1]["metadata"]["locale"] == "en-DE"

    fake_api.push_text(chat, "/region UK", language_code="ru")
    fake_api.wait_sent(chat, 7)
    fake_api.push_text(chat, "/language auto", language_code="ru")
    fake_api.wait_sent(chat, 8)
    fake_api.push_text(chat, "ещё вопрос", language_code="ru")
    fake_api.wait_sent(chat, 9)
    assert rasa.requests[-1]["metadata"]["locale"] == "ru-GB"
    # The menu messages carried inline keyboards and were cleaned up after the choice.
    assert any("inline_keyboard" in (p.get("reply_markup") or {}) for p in fake_api.sent(chat))
    assert fake_api.calls_of("editMessageReplyMarkup")


def test_a_stale_menu_button_does_nothing(fake_api, launch, rasa):
    launch(rasa.url)
    fake_api.push_callback(214, "forget:yes")
    fake_api.push_callback(214, "lang:ru")
    texts = fake_api.wait_sent(214, 2)
    assert all("expired" in t for t in texts)


def test_forget_asks_first_then_erases_choices(fake_api, launch, rasa):
    launch(rasa.url)
    chat = 215
    fake_api.push_text(chat, "/language ru")
    fake_api.wait_sent(chat, 1)
    fake_api.push_text(chat, "/forget")
    confirm = fake_api.wait_sent(chat, 2)[1]
    assert "Удалить" in confirm
    keyboard = fake_api.sent(chat)[1]["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in keyboard[0]] == ["forget:yes", "forget:no"]

    fake_api.push_callback(chat, "forget:no")
    assert "Ничего не удалено" in fake_api.wait_sent(chat, 3)[2]

    fake_api.push_text(chat, "/forget")
    fake_api.wait_sent(chat, 4)
    fake_api.push_callback(chat, "forget:yes")
    assert "удалены" in fake_api.wait_sent(chat, 5)[4]
    # The language choice went with it: Telegram's language_code (en) applies again.
    fake_api.push_text(chat, "hello", language_code="en")
    fake_api.wait_sent(chat, 6)
    assert rasa.requests[-1]["metadata"]["locale"] == "en"


def test_long_reply_is_split_at_the_limit_without_losing_a_word(fake_api, launch, start_fake_rasa):
    paragraph = "Trauma-focused psychotherapy has the strongest evidence for PTSD. " * 20
    long_text = "\n\n".join([paragraph] * 8) + "\nSource: Example et al., 2024"
    assert len(long_text) > 2 * 4096
    rasa = start_fake_rasa(lambda body: (200, [{"text": long_text}], 0))
    launch(rasa.url)
    fake_api.push_text(216, "tell me everything")
    parts = fake_api.settle(216, quiet=1.5, at_least=3)
    assert len(parts) == 3
    assert all(0 < len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == long_text.split()
    assert parts[-1].endswith("Source: Example et al., 2024")


def test_rasa_buttons_become_an_inline_keyboard_that_sends_the_payload(
    fake_api, launch, start_fake_rasa
):
    long_payload = "/ask_treatment_choice" + '{"topic": "' + "x" * 80 + '"}'

    def reply(body):
        if body["message"] == "???":
            return 200, [{"text": "Which topic?", "buttons": [
                {"title": "Ketamine", "payload": "/ask_ketamine"},
                {"title": "Long one", "payload": long_payload},
            ]}], 0  # fmt: skip
        return 200, [{"text": f"answer to {body['message']}"}], 0

    rasa = start_fake_rasa(reply)
    launch(rasa.url)
    fake_api.push_text(217, "???")
    fake_api.wait_sent(217, 1)
    markup = fake_api.sent(217)[0]["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in markup] == ["Ketamine", "Long one"]
    assert markup[0][0]["callback_data"] == "p:/ask_ketamine"
    assert len(markup[1][0]["callback_data"].encode()) <= 64
    fake_api.push_callback(217, markup[0][0]["callback_data"])
    fake_api.push_callback(217, markup[1][0]["callback_data"])
    texts = fake_api.wait_sent(217, 3)
    assert texts[1] == "answer to /ask_ketamine"
    assert texts[2] == f"answer to {long_payload}"


def test_one_chat_is_answered_in_order_and_does_not_block_another(
    fake_api, launch, start_fake_rasa
):
    def reply(body):
        delay = 1.5 if body["message"] == "first" else 0
        return 200, [{"text": f"re: {body['message']}"}], delay

    rasa = start_fake_rasa(reply)
    launch(rasa.url)
    for text in ("first", "second", "third"):
        fake_api.push_text(218, text)
    fake_api.push_text(219, "other chat")
    assert fake_api.wait_sent(219) == ["re: other chat"]
    assert fake_api.sent(218) == []  # still waiting on its slow first message
    assert fake_api.wait_sent(218, 3) == ["re: first", "re: second", "re: third"]


def test_rate_limit_sends_one_kind_notice_but_never_holds_back_a_crisis(
    fake_api, launch, rasa
):
    bridge = launch(rasa.url, TELEGRAM_RATE_LIMIT="3", TELEGRAM_RATE_WINDOW_SECONDS="60")
    chat = 220
    for i in range(6):
        fake_api.push_text(chat, f"question {i}")
    fake_api.push_text(chat, EN_CRISIS)
    texts = fake_api.settle(chat, quiet=1.5, timeout=40, at_least=5)
    assert texts[:3] == ["echo: question 0", "echo: question 1", "echo: question 2"]
    notices = [t for t in texts if "faster than I can read" in t]
    assert len(notices) == 1
    assert texts[-1] == f"echo: {EN_CRISIS}"  # over the limit, forwarded anyway
    assert [r["message"] for r in rasa.requests] == [
        "question 0", "question 1", "question 2", EN_CRISIS
    ]
    assert "question" not in bridge.log()


# --- odd input ---------------------------------------------------------------------------------


def test_malformed_updates_neither_crash_nor_silence_the_bridge(fake_api, launch, rasa):
    bridge = launch(rasa.url)
    fake_api.push({"message": "junk"})
    broken = fake_api.message(221, "ru", text="без даты")
    broken.pop("date")
    broken["chat"].pop("type")
    fake_api.push({"message": broken})
    fake_api.push({"message": fake_api.message(222, "en", text="after the junk")})
    assert fake_api.wait_sent(221) == ["echo: без даты"]
    assert fake_api.wait_sent(222) == ["echo: after the junk"]
    assert "без даты" not in bridge.log()
    assert bridge.process.poll() is None


def test_huge_and_strange_text_is_forwarded_intact(fake_api, launch, rasa):
    launch(rasa.url)
    strange = "\u202e\u0000 👨\u200d👩\u200d👧 е\u0301 \ufeff" + "ж" * 20_000
    fake_api.push_text(223, strange)
    texts = fake_api.settle(223, quiet=1.0)
    assert rasa.requests[-1]["message"] == strange
    assert "".join(texts).replace(" ", "") == f"echo: {strange}".replace(" ", "")


def test_a_careless_api_that_ignores_long_poll_timeouts_is_not_hammered(fake_api, launch, rasa):
    fake_api.ignore_long_poll = True
    launch(rasa.url)
    before = len(fake_api.calls_of("getUpdates"))
    time.sleep(2)
    polls = len(fake_api.calls_of("getUpdates")) - before
    assert polls <= 10
    fake_api.push_text(224, "still there?")
    assert fake_api.wait_sent(224) == ["echo: still there?"]


def test_a_server_that_ignores_the_offset_gets_no_duplicate_answers(fake_api, launch, rasa):
    fake_api.ignore_offset = True
    launch(rasa.url)
    fake_api.push_text(228, "once")
    fake_api.push_text(228, "twice")
    assert fake_api.settle(228, quiet=1.5, at_least=2) == ["echo: once", "echo: twice"]


def test_a_lower_update_id_is_still_answered(fake_api, launch, rasa):
    # Telegram picks a random new id after a week without updates.
    launch(rasa.url)
    fake_api.push({"message": fake_api.message(231, "en", text="before")})
    fake_api.wait_sent(231)
    fake_api.push({"message": fake_api.message(231, "en", text="after")}, update_id=7)
    assert fake_api.wait_sent(231, 2)[-1] == "echo: after"


def test_an_api_without_delete_webhook_still_works(fake_api, launch, rasa):
    fake_api.missing_methods.add("deleteWebhook")
    launch(rasa.url)
    fake_api.push_text(225, "hello")
    assert fake_api.wait_sent(225) == ["echo: hello"]


def test_telegram_refusing_a_send_does_not_stop_the_next_reply(fake_api, launch, rasa):
    launch(rasa.url)
    fake_api.missing_methods.add("sendMessage")
    fake_api.push_text(226, "lost")
    fake_api.wait_for(lambda: fake_api.calls_of("sendMessage"), what="a send attempt")
    fake_api.missing_methods.discard("sendMessage")
    fake_api.push_text(226, "found")
    assert fake_api.wait_sent(226, 2)[-1] == "echo: found"


# --- start-up -------------------------------------------------------------------------------------


def test_without_a_token_it_says_what_to_do(tmp_path):
    import subprocess
    import sys

    from bot.settings import PROJECT_ROOT

    env = {"PATH": "/usr/bin:/bin", "BOT_STATE_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": ""}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "telegram"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "BotFather" in result.stderr


def test_a_rejected_token_stops_it_without_printing_the_token(fake_api, tmp_path):
    import os
    import subprocess
    import sys

    from bot.settings import PROJECT_ROOT

    env = dict(os.environ, BOT_STATE_DIR=str(tmp_path), TELEGRAM_BOT_TOKEN="999:wrong-secret",
               TELEGRAM_API_URL=fake_api.base_url)  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "bot", "telegram"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "rejected TELEGRAM_BOT_TOKEN" in result.stderr
    assert "wrong-secret" not in result.stderr + result.stdout


def test_bot_api_url_never_appears_with_its_token_in_logs(fake_api, launch, rasa):
    bridge = launch(rasa.url)
    fake_api.push_text(227, "hello")
    fake_api.wait_sent(227)
    assert fake_api.token not in bridge.log()
