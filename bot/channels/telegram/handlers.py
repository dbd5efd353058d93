"""Update handlers: small typed callbacks that translate Telegram updates into Bridge calls.

Routing (one handler per update, first match wins, in this order):

1. channel posts       -> helplines if the text is a crisis, otherwise ignored
2. group chats         -> "let's talk in private" (helplines first if the text is a crisis)
3. edited messages     -> "send it as a new message" (a crisis edit goes to Rasa)
4. /start /help /language /region /forget
5. other commands      -> a crisis goes to Rasa as text, else "unknown command"
6. text                -> Rasa (with rate limit and fail-safe)
7. button presses      -> Rasa payloads and the steps of /forget, /language, /region
8. anything else (photo, voice, sticker, document, location, contact, ...) -> "only text
   is read"; a caption that screens as crisis goes to Rasa as text.

Why captions are not forwarded as questions: people caption photos with anything, and
the kind reply asks for text; but a caption saying "I want to die" must not be met
with "I only read text", so it is screened and a crisis takes the normal path.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

import safety
from bot.channels.telegram import texts
from bot.channels.telegram.conversation import Bridge, sender_id
from bot.channels.telegram.dialogue import Step
from bot.channels.telegram.erasure import HELD, ErasureFailed
from bot.channels.telegram.errors import describe_exception, on_error
from bot.channels.telegram.sending import INDEX_PREFIX, PAYLOAD_PREFIX

__all__ = ["register", "COMMANDS"]

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

_NOT_PRIVATE = {"group", "supergroup", "channel"}
COMMANDS = ("start", "help", "language", "region", "forget")
_LANGUAGE_WORDS = {
    "en": "en", "eng": "en", "english": "en", "английский": "en",
    "ru": "ru", "rus": "ru", "russian": "ru", "русский": "ru",
    "auto": None, "telegram": None, "reset": None,
}  # fmt: skip


def _bridge(context: Context) -> Bridge:
    bridge: Bridge = context.application.bot_data["bridge"]
    return bridge


def _who(update: Update) -> tuple[int, str | None]:
    """(chat id, Telegram language_code of the sender) - every handler needs both."""
    assert update.effective_chat is not None  # guaranteed by the filters used below
    user = update.effective_user
    return update.effective_chat.id, user.language_code if user else None


def _keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(title, callback_data=data) for title, data in row] for row in rows]
    )


async def _send_menu(bridge: Bridge, chat_id: int, text: str, markup: InlineKeyboardMarkup) -> None:
    await bridge.sender.send_text(chat_id, text, markup)


# --- 1-3: channels, groups, edits -----------------------------------------------------------


async def on_channel_post(update: Update, context: Context) -> None:
    # Posts in a channel the bot administers are not addressed to it: answering each
    # one would spam the channel. Only a crisis gets an answer (not stored: no Rasa).
    bridge = _bridge(context)
    message = update.effective_message
    text = (message.text or message.caption) if message else None
    chat_id = update.effective_chat.id if update.effective_chat else None
    if not text or chat_id is None:
        return
    verdict = bridge.screen(chat_id, text, None)
    if verdict.level.at_least(safety.Level.CRISIS):
        await bridge.say(chat_id, safety.compose_reply(verdict))
    else:
        log.info("%s: channel post ignored", _ref(update))


async def on_group_message(update: Update, context: Context) -> None:
    # A group mixes several people into one conversation id, and a health conversation
    # should not happen in front of others: point to the private chat instead.
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    if text:
        verdict = bridge.screen(chat_id, text, language_code)
        if verdict.level.at_least(safety.Level.CRISIS):
            await bridge.say(chat_id, safety.compose_reply(verdict))
            return
    addressed = bool(
        message
        and (
            text.startswith("/")
            or (message.reply_to_message and message.reply_to_message.from_user
                and message.reply_to_message.from_user.id == context.bot.id)
            or (context.bot.username and f"@{context.bot.username}".lower() in text.lower())
        )
    )
    if addressed:
        await bridge.say_limited(chat_id, "private_only", bridge.ui_lang(chat_id, language_code, text))


async def on_edited(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    if text and bridge.is_crisis(chat_id, text, language_code):
        await bridge.answer_text(chat_id, text, language_code)
        return
    await bridge.say_limited(chat_id, "edited", bridge.ui_lang(chat_id, language_code, text))


# --- 4: commands ------------------------------------------------------------------------------


def start_text(bridge: Bridge, chat_id: int, language_code: str | None) -> str:
    where = bridge.resolve(chat_id, language_code)
    lang = where.lang
    return "\n\n".join(
        (
            safety.compose_notice(where.lang, where.region),
            texts.text("start_intro", lang),
            texts.text("start_privacy", lang),
            texts.text("commands", lang),
        )
    )


def help_text(bridge: Bridge, chat_id: int, language_code: str | None) -> str:
    where = bridge.resolve(chat_id, language_code)
    return "\n\n".join(
        (
            texts.text("help_intro", where.lang),
            texts.text("commands", where.lang),
            safety.compose_notice(where.lang, where.region),
        )
    )


async def on_start(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    lang = bridge.ui_lang(chat_id, language_code)
    bridge.dialogues.end(chat_id)
    if await bridge.allow(chat_id, lang):
        await bridge.say(chat_id, start_text(bridge, chat_id, language_code))


async def on_help(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    if await bridge.allow(chat_id, bridge.ui_lang(chat_id, language_code)):
        await bridge.say(chat_id, help_text(bridge, chat_id, language_code))


async def on_language(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    lang = bridge.ui_lang(chat_id, language_code)
    if not await bridge.allow(chat_id, lang):
        return
    if context.args:
        word = context.args[0].strip().lower()
        if word not in _LANGUAGE_WORDS:
            await bridge.say(chat_id, texts.text("language_unknown", lang))
            return
        await _set_language(bridge, chat_id, language_code, _LANGUAGE_WORDS[word])
        return
    bridge.dialogues.enter(chat_id, Step.CHOOSING_LANGUAGE)
    markup = _keyboard(
        [
            [(texts.LANGUAGE_NAMES["en"], "lang:en"), (texts.LANGUAGE_NAMES["ru"], "lang:ru")],
            [(texts.text("language_auto", lang), "lang:auto")],
        ]
    )
    await _send_menu(bridge, chat_id, texts.text("language_prompt", lang), markup)


async def _set_language(
    bridge: Bridge, chat_id: int, language_code: str | None, choice: str | None
) -> None:
    bridge.prefs.set_language(chat_id, choice)
    bridge.dialogues.end(chat_id)
    lang = bridge.ui_lang(chat_id, language_code)
    await bridge.say(chat_id, texts.text(f"language_done_{choice or 'auto'}", lang))


def _region_menu(lang: str) -> InlineKeyboardMarkup:
    return _keyboard(
        [
            [(texts.text("region_uk", lang), "region:GB")],
            [(texts.text("region_eu", lang), "region:EU")],
            [(texts.text("region_auto", lang), "region:auto")],
        ]
    )


def _country_menu(lang: str) -> InlineKeyboardMarkup:
    buttons = [(texts.country_name(code, lang), f"country:{code}") for code, _, _ in texts.COUNTRIES]
    buttons.sort(key=lambda b: b[0])
    return _keyboard([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


async def on_region(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    lang = bridge.ui_lang(chat_id, language_code)
    if not await bridge.allow(chat_id, lang):
        return
    if context.args:
        word = context.args[0].strip()
        if word.lower() in {"auto", "telegram", "reset"}:
            await _set_country(bridge, chat_id, language_code, None)
        elif word.upper() in {"EU", "EEA"}:
            bridge.dialogues.enter(chat_id, Step.CHOOSING_COUNTRY)
            await _send_menu(bridge, chat_id, texts.text("country_prompt", lang), _country_menu(lang))
        elif (code := texts.normalise_country(word)) is not None:
            await _set_country(bridge, chat_id, language_code, code)
        else:
            await bridge.say(chat_id, texts.text("region_unknown", lang))
        return
    bridge.dialogues.enter(chat_id, Step.CHOOSING_REGION)
    await _send_menu(bridge, chat_id, texts.text("region_prompt", lang), _region_menu(lang))


async def _set_country(
    bridge: Bridge, chat_id: int, language_code: str | None, country: str | None
) -> None:
    bridge.prefs.set_country(chat_id, country)
    bridge.dialogues.end(chat_id)
    where = bridge.resolve(chat_id, language_code)
    lang = where.lang
    done = (
        texts.text("region_done", lang, name=texts.country_name(country, lang))
        if country
        else texts.text("region_done_auto", lang)
    )
    # Show the numbers that now apply, composed by the safety library.
    await bridge.say(chat_id, done + "\n\n" + safety.compose_notice(where.lang, where.region))


async def on_forget(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    lang = bridge.ui_lang(chat_id, language_code)
    if not await bridge.allow(chat_id, lang):
        return
    bridge.dialogues.enter(chat_id, Step.CONFIRMING_FORGET)
    markup = _keyboard(
        [[(texts.text("forget_yes", lang), "forget:yes"), (texts.text("forget_no", lang), "forget:no")]]
    )
    await _send_menu(bridge, chat_id, texts.text("forget_confirm", lang), markup)


async def _erase(bridge: Bridge, chat_id: int, lang: str) -> None:
    bridge.dialogues.end(chat_id)
    try:
        status = await bridge.eraser(sender_id(chat_id))
    except ErasureFailed as exc:
        log.error("/forget: erasure failed: %s", exc)
        await bridge.say(chat_id, texts.text("forget_failed", lang))
        return
    except Exception as exc:
        log.error("/forget: erasure failed: %s", describe_exception(exc))
        await bridge.say(chat_id, texts.text("forget_failed", lang))
        return
    if status == HELD:
        log.info("/forget: refused, conversation under legal hold")
        await bridge.say(chat_id, texts.text("forget_held", lang))
        return
    bridge.forget_local(chat_id)
    log.info("/forget: conversation erased (%s)", status)
    await bridge.say(chat_id, texts.text("forget_done", lang))


# --- 5-6: other commands, text ----------------------------------------------------------------


async def on_unknown_command(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    message = update.effective_message
    text = message.text if message and message.text else ""
    # "/kill myself" is a command to Telegram and a crisis to us.
    if bridge.is_crisis(chat_id, text, language_code):
        await bridge.answer_text(chat_id, text, language_code)
        return
    lang = bridge.ui_lang(chat_id, language_code, text)
    if await bridge.allow(chat_id, lang):
        await bridge.say(
            chat_id, texts.text("unknown_command", lang) + "\n\n" + texts.text("commands", lang)
        )


async def on_text(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    message = update.effective_message
    if message is None or message.text is None:
        return
    await bridge.answer_text(chat_id, message.text, language_code)


# --- 7: buttons -------------------------------------------------------------------------------


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()  # stops the button's spinner; cosmetic
    except TelegramError as exc:
        log.debug("answerCallbackQuery failed: %s", type(exc).__name__)
    if update.effective_chat is None or update.effective_chat.type in _NOT_PRIVATE:
        return
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    data = query.data if isinstance(query.data, str) else ""
    lang = bridge.ui_lang(chat_id, language_code)

    if data.startswith(PAYLOAD_PREFIX):
        await bridge.answer_text(chat_id, data[len(PAYLOAD_PREFIX) :], language_code)
        return
    if data.startswith(INDEX_PREFIX):
        index = data[len(INDEX_PREFIX) :]
        payload = bridge.memory.payload(chat_id, int(index)) if index.isdigit() else None
        if payload is None:
            await bridge.say(chat_id, texts.text("button_expired", lang))
        else:
            await bridge.answer_text(chat_id, payload, language_code)
        return

    kind, _, value = data.partition(":")
    expected = {
        "forget": (Step.CONFIRMING_FORGET,),
        "lang": (Step.CHOOSING_LANGUAGE,),
        "region": (Step.CHOOSING_REGION,),
        "country": (Step.CHOOSING_COUNTRY, Step.CHOOSING_REGION),
    }.get(kind)
    if expected is None:
        log.info("%s: unknown button data ignored", _ref(update))
        return
    if not bridge.dialogues.is_in(chat_id, *expected):
        await bridge.say(chat_id, texts.text("expired", lang))
        return
    await _remove_keyboard(update)
    if kind == "forget":
        if value == "yes":
            await _erase(bridge, chat_id, lang)
        else:
            bridge.dialogues.end(chat_id)
            await bridge.say(chat_id, texts.text("forget_kept", lang))
    elif kind == "lang":
        if value in {"en", "ru", "auto"}:
            await _set_language(bridge, chat_id, language_code, None if value == "auto" else value)
    elif kind == "region":
        if value == "EU":
            bridge.dialogues.enter(chat_id, Step.CHOOSING_COUNTRY)
            await _send_menu(bridge, chat_id, texts.text("country_prompt", lang), _country_menu(lang))
        elif value == "auto":
            await _set_country(bridge, chat_id, language_code, None)
        elif (code := texts.normalise_country(value)) is not None:
            await _set_country(bridge, chat_id, language_code, code)
    elif kind == "country" and (code := texts.normalise_country(value)) is not None:
        await _set_country(bridge, chat_id, language_code, code)


async def _remove_keyboard(update: Update) -> None:
    """Take the buttons off an answered menu so it cannot be pressed twice. Cosmetic."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        log.debug("editMessageReplyMarkup failed: %s", type(exc).__name__)


# --- 8: everything else -------------------------------------------------------------------------


async def on_other_message(update: Update, context: Context) -> None:
    bridge = _bridge(context)
    chat_id, language_code = _who(update)
    message = update.effective_message
    caption = message.caption if message and message.caption else ""
    if caption and bridge.is_crisis(chat_id, caption, language_code):
        await bridge.answer_text(chat_id, caption, language_code)
        return
    await bridge.say_limited(chat_id, "only_text", bridge.ui_lang(chat_id, language_code, caption))


def _ref(update: Update) -> str:
    return f"update {update.update_id}"


def register(application: Application, bridge: Bridge) -> None:  # type: ignore[type-arg]
    application.bot_data["bridge"] = bridge
    # "Private" = not a group or channel: an unknown chat type is answered like a private
    # chat rather than dropped.
    private = ~(filters.ChatType.GROUPS | filters.ChatType.CHANNEL)
    handlers = [
        MessageHandler(filters.UpdateType.CHANNEL_POSTS, on_channel_post),
        MessageHandler(filters.ChatType.GROUPS, on_group_message),
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, on_edited),
        CommandHandler("start", on_start, filters=private),
        CommandHandler("help", on_help, filters=private),
        CommandHandler("language", on_language, filters=private),
        CommandHandler("region", on_region, filters=private),
        CommandHandler("forget", on_forget, filters=private),
        MessageHandler(filters.COMMAND & private, on_unknown_command),
        MessageHandler(filters.TEXT & private, on_text),
        CallbackQueryHandler(on_button),
        MessageHandler(private & ~filters.StatusUpdate.ALL, on_other_message),
    ]
    for handler in handlers:
        application.add_handler(handler)
    application.add_error_handler(on_error)
