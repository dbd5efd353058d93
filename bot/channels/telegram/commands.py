"""The bridge's own commands: /start, /help, /language, /region, /forget, and their menus.

Multi-step commands use named steps (``dialogue.Step``): a menu button is acted on only
while its chat is in the matching step, so an old keyboard cannot erase a conversation
or change a setting later. Every text here is composed from ``texts`` and, for anything
with a phone number, from the safety library.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

import safety
from bot.channels.telegram import texts
from bot.channels.telegram.conversation import Bridge, bridge_of, sender_id, who
from bot.channels.telegram.dialogue import Step
from bot.channels.telegram.erasure import HELD, ErasureFailed
from bot.channels.telegram.errors import describe_exception

__all__ = [
    "on_start", "on_help", "on_language", "on_region", "on_forget", "on_menu_button",
    "start_text", "help_text", "MENU_KINDS",
]  # fmt: skip

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

_LANGUAGE_WORDS = {
    "en": "en", "eng": "en", "english": "en", "английский": "en",
    "ru": "ru", "rus": "ru", "russian": "ru", "русский": "ru",
    "auto": None, "telegram": None, "reset": None,
}  # fmt: skip

# Callback data "<kind>:<value>" of the menus, and the steps in which each is accepted.
MENU_KINDS: dict[str, tuple[Step, ...]] = {
    "forget": (Step.CONFIRMING_FORGET,),
    "lang": (Step.CHOOSING_LANGUAGE,),
    "region": (Step.CHOOSING_REGION,),
    "country": (Step.CHOOSING_COUNTRY, Step.CHOOSING_REGION),
}


def _keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(title, callback_data=data) for title, data in row] for row in rows]
    )


async def _send_menu(bridge: Bridge, chat_id: int, text: str, markup: InlineKeyboardMarkup) -> None:
    await bridge.sender.send_text(chat_id, text, markup)


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
            safety.compose_notice(where.lang, where.region),
            texts.text("help_intro", where.lang),
            texts.text("commands", where.lang),
        )
    )


async def on_start(update: Update, context: Context) -> None:
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
    lang = bridge.ui_lang(chat_id, language_code)
    bridge.dialogues.end(chat_id)
    if await bridge.allow(chat_id, lang) and await bridge.say(
        chat_id, start_text(bridge, chat_id, language_code)
    ):
        bridge.memory.mark_notice_shown(chat_id)


async def on_help(update: Update, context: Context) -> None:
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
    if await bridge.allow(chat_id, bridge.ui_lang(chat_id, language_code)) and await bridge.say(
        chat_id, help_text(bridge, chat_id, language_code)
    ):
        bridge.memory.mark_notice_shown(chat_id)


async def on_language(update: Update, context: Context) -> None:
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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
    if await bridge.say(chat_id, done + "\n\n" + safety.compose_notice(where.lang, where.region)):
        bridge.memory.mark_notice_shown(chat_id)


async def on_forget(update: Update, context: Context) -> None:
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
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


async def on_menu_button(update: Update, context: Context, kind: str, value: str) -> None:
    """A press on one of our menus (``kind`` is a key of MENU_KINDS)."""
    bridge = bridge_of(context)
    chat_id, language_code = who(update)
    lang = bridge.ui_lang(chat_id, language_code)
    if not bridge.dialogues.is_in(chat_id, *MENU_KINDS[kind]):
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
