"""Raw Bot API JSON -> Updates: malformed input is answered, not dropped or logged."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram import Bot, Update

from bot.channels.telegram.processor import PerChatUpdateProcessor
from bot.channels.telegram.updates import parse_update, parse_updates
from bot.channels.telegram.webhook import new_secret, parse_listen, valid_secret

BOT = Bot("123:abc")
SECRET_TEXT = "I want to kill myself"


def good(update_id: int = 1, text: str = "hello", chat_id: int = 5) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 1700000000, "text": text,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "P", "language_code": "ru"},
        },
    }  # fmt: skip


def test_a_good_update_parses_as_is():
    update = parse_update(good(), BOT)
    assert isinstance(update, Update)
    assert update.effective_message.text == "hello"
    assert update.effective_user.language_code == "ru"


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: m.pop("date"),
        lambda m: m["chat"].pop("type"),
        lambda m: m.update(date="yesterday"),
        lambda m: m.update(entities=[{"type": "bold"}]),  # entity without offset/length
        lambda m: m["from"].pop("first_name"),
        lambda m: m.update(reply_to_message="junk"),
    ],
)
def test_a_damaged_message_is_rebuilt_from_its_basic_fields(damage, caplog):
    raw = good(text=SECRET_TEXT)
    damage(raw["message"])
    with caplog.at_level(logging.DEBUG):
        update = parse_update(raw, BOT)
    assert update is not None
    assert update.effective_chat.id == 5
    assert update.effective_message.text == SECRET_TEXT
    assert update.effective_user is None or update.effective_user.language_code == "ru"
    assert SECRET_TEXT not in caplog.text


def test_a_damaged_command_keeps_its_command_entity():
    raw = good(text="/start hello")
    raw["message"].pop("date")
    raw["message"]["entities"] = [{"type": "bot_command"}]
    update = parse_update(raw, BOT)
    assert update.effective_message.entities[0].type == "bot_command"
    assert update.effective_message.entities[0].length == len("/start")


def test_a_damaged_photo_keeps_its_caption():
    raw = good()
    message = raw["message"]
    message.pop("text")
    message["caption"] = SECRET_TEXT
    message["photo"] = "not a list"
    update = parse_update(raw, BOT)
    assert update.effective_message.caption == SECRET_TEXT
    assert update.effective_message.text is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "junk",
        [],
        {"message": good()["message"]},  # no update_id
        {"update_id": "x"},
        {"update_id": 9, "message": {"chat": {"id": "not a number"}, "text": SECRET_TEXT}},
        {"update_id": 9, "message": "junk"},
    ],
)
def test_hopeless_updates_are_skipped_without_logging_content(raw, caplog):
    with caplog.at_level(logging.DEBUG):
        assert parse_update(raw, BOT) is None
    assert SECRET_TEXT not in caplog.text


def test_a_batch_with_bad_updates_keeps_the_good_ones_and_moves_past_all():
    batch = [good(1), {"update_id": 2, "message": "junk"}, good(3, "second"), "junk"]
    updates, highest = parse_updates(batch, BOT)
    assert [u.update_id for u in updates] == [1, 3]
    assert highest == 3
    assert parse_updates({"not": "a list"}, BOT) == ([], None)


def test_odd_unicode_survives_parsing():
    text = "\u202eRTL \u0000 nul \ud800 lone 👨\u200d👩\u200d👧 " + "я" * 5000
    update = parse_update(good(text=text), BOT)
    assert update.effective_message.text == text


# --- per-chat order ------------------------------------------------------------------------------


async def test_updates_of_one_chat_run_in_order_while_other_chats_run_concurrently():
    processor = PerChatUpdateProcessor()
    log: list[tuple[str, int]] = []
    slow_started = asyncio.Event()

    async def work(chat: int, n: int, delay: float) -> None:
        log.append(("start", chat * 100 + n))
        if delay:
            slow_started.set()
        await asyncio.sleep(delay)
        log.append(("end", chat * 100 + n))

    def update(chat: int, uid: int) -> Update:
        return parse_update(good(uid, chat_id=chat), BOT)

    tasks = [
        asyncio.create_task(processor.process_update(update(1, 1), work(1, 1, 0.3))),
        asyncio.create_task(processor.process_update(update(1, 2), work(1, 2, 0))),
        asyncio.create_task(processor.process_update(update(1, 3), work(1, 3, 0))),
        asyncio.create_task(processor.process_update(update(2, 4), work(2, 1, 0))),
    ]
    await asyncio.gather(*tasks)
    order_chat1 = [n for kind, n in log if kind == "start" and n // 100 == 1]
    assert order_chat1 == [101, 102, 103]
    # Chat 2 finished while chat 1 was still waiting on its slow first message.
    assert log.index(("end", 201)) < log.index(("end", 101))
    assert processor._tails == {}


async def test_a_failing_update_does_not_block_its_chat():
    processor = PerChatUpdateProcessor()
    done: list[int] = []

    async def boom() -> None:
        raise RuntimeError("handler bug")

    async def fine() -> None:
        done.append(2)

    upd = parse_update(good(1), BOT)
    first = asyncio.create_task(processor.process_update(upd, boom()))
    second = asyncio.create_task(processor.process_update(parse_update(good(2), BOT), fine()))
    with pytest.raises(RuntimeError):
        await first
    await asyncio.wait_for(second, 2)
    assert done == [2]


# --- webhook helpers ------------------------------------------------------------------------------


def test_webhook_secret_and_listen_address():
    secret = new_secret()
    assert valid_secret(secret) and len(secret) >= 32 and secret != new_secret()
    assert not valid_secret("has space") and not valid_secret("") and not valid_secret("x" * 257)
    assert parse_listen("127.0.0.1:8443") == ("127.0.0.1", 8443)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    assert parse_listen(":8443") == ("127.0.0.1", 8443)
    for bad in ("8443", "host:", "host:99999", "host:x"):
        with pytest.raises(ValueError):
            parse_listen(bad)


# --- log-safe exception descriptions ----------------------------------------------------------


def test_exception_descriptions_name_type_and_place_but_never_the_message():
    from telegram.error import BadRequest

    from bot.channels.telegram.errors import describe_exception

    try:
        raise ValueError(f"could not handle {SECRET_TEXT!r}")
    except ValueError as exc:
        described = describe_exception(exc)
    assert described.startswith("ValueError at test_updates.py:")
    assert SECRET_TEXT not in described
    assert describe_exception(
        BadRequest("Message text is empty")
    ) == "BadRequest('Message text is empty')"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"),
        ("http://proxy/tg/bot", "http://proxy/tg/bot"),
        ("http://local/bot{token}/x", "http://local/bot{token}/x"),
    ],
)
def test_api_url_forms(given, used):
    from bot.channels.telegram.app import normalise_api_url

    assert normalise_api_url(given) == used


# --- the central error handler and the last resort -----------------------------------------------


class _Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[int, list]] = []

    async def send_replies(self, chat_id: int, replies: list) -> bool:
        self.sent.append((chat_id, replies))
        return True


async def test_error_handler_logs_safely_and_still_answers_the_user(caplog):
    from types import SimpleNamespace

    from bot.channels.telegram.errors import on_error
    from bot.channels.telegram.memory import ChatMemory
    from bot.channels.telegram.rasa_bridge import Outcome, Reply

    sender = _Sender()
    bridge = SimpleNamespace(
        memory=ChatMemory(),
        sender=sender,
        locale=lambda chat_id, code: "ru",
        last_resort=lambda text, locale, history: Outcome([Reply(f"fail-safe for {locale}")]),
    )
    try:
        raise KeyError(SECRET_TEXT)
    except KeyError as exc:
        error = exc
    context = SimpleNamespace(error=error, application=SimpleNamespace(bot_data={"bridge": bridge}))
    with caplog.at_level(logging.DEBUG, logger="bot.channels.telegram.errors"):
        await on_error(parse_update(good(text=SECRET_TEXT), BOT), context)
    assert sender.sent == [(5, [Reply("fail-safe for ru")])]
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert records and all(SECRET_TEXT not in r.getMessage() for r in records)


def test_last_resort_without_a_working_screen_still_answers(monkeypatch):
    import dataclasses

    from bot import settings as settings_module
    from bot.channels.telegram import conversation

    def broken(*args, **kwargs):
        raise RuntimeError("screen broke")

    monkeypatch.setattr(conversation, "failsafe_reply", broken)
    fields = {f.name: None for f in dataclasses.fields(conversation.Bridge)}
    bridge = conversation.Bridge(**{**fields, "settings": settings_module.load()})
    outcome = bridge.last_resort("я больше не хочу жить", "ru", ())
    assert outcome.path == "failsafe"
    assert "экстренную службу" in outcome.replies[0].text


def test_telegram_library_log_lines_lose_their_update_arguments():
    from bot.channels.telegram.errors import RedactTelegramData

    update = parse_update(good(text=SECRET_TEXT), BOT)
    record = logging.LogRecord(
        "telegram.ext.Application", logging.CRITICAL, __file__, 1,
        "Error while building CallbackContext for update %s", (update,), None,
    )  # fmt: skip
    assert RedactTelegramData().filter(record)
    assert SECRET_TEXT not in record.getMessage()
    raw = logging.LogRecord("telegram.Bot", logging.CRITICAL, __file__, 1,
                            "Received data was %r", ([good(text=SECRET_TEXT)],), None)  # fmt: skip
    RedactTelegramData().filter(raw)
    assert SECRET_TEXT not in raw.getMessage()
    ours = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "n=%s", (3,), None)
    RedactTelegramData().filter(ours)
    assert ours.getMessage() == "n=3"


def test_unreadable_preferences_fall_back_to_telegrams_language(caplog):
    import dataclasses

    from bot import settings as settings_module
    from bot.channels.telegram import conversation

    class BrokenPrefs:
        def get(self, chat_id):
            raise OSError("disk I/O error")

    fields = {f.name: None for f in dataclasses.fields(conversation.Bridge)}
    bridge = conversation.Bridge(
        **{**fields, "settings": settings_module.load(), "prefs": BrokenPrefs()}
    )
    with caplog.at_level(logging.ERROR):
        assert bridge.locale(5, "ru") == "ru"
    assert "chat preferences unreadable (OSError" in caplog.text
