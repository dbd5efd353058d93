"""One chat turn, start to finish: the bridge's state and what it does with a text.

:class:`Bridge` holds the per-process services (Rasa forwarder, preferences, memory,
rate limiter, dialogue steps, eraser, reply sender). Handlers translate Telegram
updates into calls on it. Every path ends in a reply to the user, and message text
never reaches a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.constants import ChatAction
from telegram.ext import CallbackContext

import safety
from bot.channels.telegram import texts
from bot.channels.telegram.dialogue import DialogueStates
from bot.channels.telegram.erasure import Eraser
from bot.channels.telegram.errors import describe_exception
from bot.channels.telegram.formatting import clean_text
from bot.channels.telegram.locales import ChatPrefs, compose_locale, ui_language
from bot.channels.telegram.memory import ChatMemory
from bot.channels.telegram.prefs import PrefsStore
from bot.channels.telegram.rasa_bridge import Outcome, RasaForwarder, Reply
from bot.channels.telegram.ratelimit import RateLimiter
from bot.channels.telegram.sending import ReplySender
from bot.failsafe import failsafe_reply
from bot.settings import Settings

__all__ = ["Bridge", "sender_id", "bridge_of", "who"]

log = logging.getLogger(__name__)

# Show "typing..." only when Rasa is slow: a quick answer needs no indicator, and it
# saves a Bot API call per message.
_TYPING_AFTER_SECONDS = 1.0


def sender_id(chat_id: int) -> str:
    return f"telegram:{chat_id}"


def bridge_of(context: CallbackContext[Any, Any, Any, Any]) -> Bridge:
    """The Bridge of this Application (put in bot_data by handlers.register)."""
    bridge: Bridge = context.application.bot_data["bridge"]
    return bridge


def who(update: Update) -> tuple[int, str | None]:
    """(chat id, Telegram language_code of the sender): what every handler needs."""
    assert update.effective_chat is not None  # the handlers' filters guarantee a chat
    user = update.effective_user
    return update.effective_chat.id, user.language_code if user else None


@dataclass
class Bridge:
    settings: Settings
    forwarder: RasaForwarder
    prefs: PrefsStore
    memory: ChatMemory
    limiter: RateLimiter
    dialogues: DialogueStates
    eraser: Eraser
    sender: ReplySender
    bot: Bot
    # bot.audit.channel.ChannelAudit: records the turns answered without Rasa (whose
    # event broker never sees them). None in tests that do not look at the audit.
    audit: Any = None

    # --- locale -------------------------------------------------------------------------

    def locale(self, chat_id: int, language_code: str | None) -> str | None:
        try:
            prefs = self.prefs.get(chat_id)
        except Exception as exc:
            # A broken preferences file must not stop an answer: use Telegram's setting.
            log.error("chat preferences unreadable (%s)", describe_exception(exc))
            prefs = ChatPrefs()
        return compose_locale(language_code, prefs, self.settings.default_lang)

    def resolve(self, chat_id: int, language_code: str | None, text: str = "") -> safety.Locale:
        return safety.resolve_locale(
            self.locale(chat_id, language_code), text=text, default_region=self.settings.default_region
        )

    def ui_lang(self, chat_id: int, language_code: str | None, text: str = "") -> str:
        return ui_language(self.resolve(chat_id, language_code, text).lang)

    def screen(self, chat_id: int, text: str, language_code: str | None) -> safety.Verdict:
        return safety.screen(
            text,
            locale=self.locale(chat_id, language_code),
            history=self.memory.history(chat_id),
            default_region=self.settings.default_region,
        )

    def is_crisis(self, chat_id: int, text: str, language_code: str | None) -> bool:
        try:
            return self.screen(chat_id, text, language_code).level.at_least(safety.Level.CRISIS)
        except Exception as exc:
            # A screen that fails must not decide "no crisis" silently: treat as crisis
            # so the text takes the full path (Rasa, then the fail-safe).
            log.error("local screen failed (%s); treating the text as a possible crisis",
                      describe_exception(exc))
            return True

    # --- sending --------------------------------------------------------------------------

    async def say(self, chat_id: int, text: str) -> bool:
        return await self.sender.send_text(chat_id, text)

    async def allow(self, chat_id: int, lang: str) -> bool:
        """Count one update against the chat's rate limit; tell the user once when over it."""
        decision = self.limiter.check(chat_id)
        if not decision.allowed and decision.notify:
            await self._rate_notice(chat_id, lang, decision.retry_after)
        return decision.allowed

    async def say_limited(self, chat_id: int, key: str, lang: str) -> None:
        """A bridge message (only-text notice, ...) subject to the chat's rate limit."""
        if await self.allow(chat_id, lang):
            await self.say(chat_id, texts.text(key, lang))

    async def _rate_notice(self, chat_id: int, lang: str, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        await self.say(chat_id, texts.text("rate_limited", lang, seconds=seconds))

    # --- the text turn ----------------------------------------------------------------------

    async def answer_text(self, chat_id: int, text: str, language_code: str | None) -> None:
        """Forward a user's text to Rasa and send the answer; never ends in silence."""
        text = clean_text(text)
        if not text.strip():
            await self.say(chat_id, texts.text("rephrase", self.ui_lang(chat_id, language_code)))
            return
        locale = self.locale(chat_id, language_code)
        history = self.memory.history(chat_id)
        decision = self.limiter.check(chat_id)
        if not decision.allowed:
            if not self.is_crisis(chat_id, text, language_code):
                if decision.notify:
                    lang = self.ui_lang(chat_id, language_code, text)
                    await self._rate_notice(chat_id, lang, decision.retry_after)
                log.info("message over the chat's rate limit: not forwarded")
                self.memory.remember(chat_id, text)
                return
            log.warning("message over the chat's rate limit screened as crisis: forwarded anyway")
        typing = asyncio.create_task(self._typing_later(chat_id))
        try:
            outcome = await self.forwarder.respond(
                sender_id(chat_id), text, locale, history,
                notice_shown=self.memory.take_notice_shown(chat_id),
            )
        except Exception as exc:
            log.error("turn failed before a reply (%s); sending the fail-safe",
                      describe_exception(exc))
            outcome = self.last_resort(text, locale, history)
        finally:
            typing.cancel()
        self.memory.remember(chat_id, text)
        await self.sender.send_replies(chat_id, outcome.replies)
        if outcome.path != "rasa" and self.audit is not None:
            await asyncio.to_thread(
                self.audit.record, sender_id(chat_id), "telegram", locale, text, outcome.verdict,
                [r.text for r in outcome.replies], outcome.path,
            )

    def last_resort(self, text: str, locale: str | None, history: Sequence[str]) -> Outcome:
        """The fail-safe without Rasa; if even the screen breaks, a reply without numbers."""
        try:
            reply, verdict = failsafe_reply(
                text, locale, history, default_region=self.settings.default_region
            )
            return Outcome([Reply(reply)], "failsafe", str(verdict.level.value), verdict)
        except Exception as exc:
            log.critical("fail-safe screen failed (%s)", describe_exception(exc))
            lang = ui_language((locale or "en")[:2].lower())
            return Outcome([Reply(texts.text("unavailable_no_screen", lang))], path="failsafe")

    async def _typing_later(self, chat_id: int) -> None:
        await asyncio.sleep(_TYPING_AFTER_SECONDS)
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except Exception as exc:  # cosmetic: never let it matter
            log.debug("typing indicator failed: %s", type(exc).__name__)

    # --- /forget ------------------------------------------------------------------------------

    def forget_local(self, chat_id: int) -> None:
        """Everything the bridge itself keeps about a chat."""
        self.prefs.forget(chat_id)
        self.memory.forget(chat_id)
        self.limiter.forget(chat_id)
        self.dialogues.end(chat_id)
