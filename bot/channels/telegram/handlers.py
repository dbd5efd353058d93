"""Update handlers: small typed callbacks that translate Telegram updates into Bridge calls.

Routing (one handler per update, first match wins, in this order):

1. channel posts       -> helplines if the text is a crisis, otherwise ignored
2. group chats         -> "let's talk in private" (helplines first if the text is a crisis)
3. edited messages     -> "send it as a new message" (a crisis edit goes to Rasa)
4. /start /help /language /region /forget (commands.py)
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

from telegram import Update
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
from bot.channels.telegram.commands import (
    MENU_KINDS,
    on_forget,
    on_help,
    on_language,
    on_menu_button,
    on_region,
    on_start,
)
from bot.channels.telegram.conversation import Bridge, bridge_of, who
from bot.channels.telegram.errors import on_error
from bot.channels.telegram.sending import INDEX_PREFIX, PAYLOAD_PREFIX

__all__ = ["register", "COMMANDS"]

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

_NOT_PRIVATE = {"group", "supergroup", "channel"}
COMMANDS = ("start", "help", "language", "region", "forget")


# --- 1-3: channels, groups, edits -----------------------------------------------------------


async def on_channel_post(update: Update, context: Context) -> None:
    # Posts in a channel the bot administers are not addressed to it: answering each
    # one would spam the channel. Only a crisis gets an answer (not stored: no Rasa).
    bridge = bridge_of(context)
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
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    if text and bridge.is_crisis(chat_id, text, language_code):
        await bridge.answer_text(chat_id, text, language_code)
        return
    await bridge.say_limited(chat_id, "edited", bridge.ui_lang(chat_id, language_code, text))


# --- 5-6: other commands, text (4, our commands, are in commands.py) ----------------------------------------------------------------


async def on_unknown_command(update: Update, context: Context) -> None:
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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
    if kind not in MENU_KINDS:
        log.info("%s: unknown button data ignored", _ref(update))
        return
    await on_menu_button(update, context, kind, value)


# --- 8: everything else -------------------------------------------------------------------------


async def on_other_message(update: Update, context: Context) -> None:
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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
