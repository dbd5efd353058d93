"""The central error handler, and exception descriptions that are safe to log.

An exception's message can quote its input (a ``UnicodeEncodeError`` shows the
string, a ``KeyError`` the key, PTB's ``InvalidToken`` the bot token), and the input
here is health data. So log lines carry the exception's type and where it was
raised (file:line in function), never its message; the full traceback only at DEBUG.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import TelegramObject, Update
from telegram.error import TelegramError

if TYPE_CHECKING:
    from telegram.ext import ContextTypes

__all__ = ["describe_exception", "on_error", "RedactTelegramData"]

log = logging.getLogger(__name__)


def describe_exception(exc: BaseException, frames: int = 4) -> str:
    """``"ValueError at handlers.py:120 in on_text <- conversation.py:88 in answer_text"``."""
    name = type(exc).__name__
    if isinstance(exc, TelegramError):
        # Bot API error descriptions ("Forbidden: bot was blocked by the user") name the
        # problem, not the content; cap them anyway.
        name = f"{name}({exc.message[:120]!r})"
    tb = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    where = " <- ".join(
        f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(tb[-frames:])
    )
    return f"{name} at {where}" if where else name


class RedactTelegramData(logging.Filter):
    """Last line of defence for python-telegram-bot's own log lines.

    A few of them print whole updates or raw API data (e.g. "Error while building
    CallbackContext for update %s" at CRITICAL). For records from the ``telegram``
    loggers, arguments that are Telegram objects or raw JSON structures are replaced.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                "<redacted>" if isinstance(a, (TelegramObject, dict, list, tuple)) else a
                for a in args
            )
        return True


def update_ref(update: object) -> str:
    if isinstance(update, Update):
        return f"update {update.update_id}"
    return "no update"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed (safely) and make sure the user of a failed text turn hears back."""
    error = context.error
    if error is None:
        return
    log.error("%s: unhandled %s", update_ref(update), describe_exception(error))
    log.debug("traceback", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    message = update.effective_message
    if message is None or update.effective_chat.type in {"group", "supergroup", "channel"}:
        return
    text = message.text or message.caption
    if not text:
        return
    bridge = context.application.bot_data.get("bridge")
    if bridge is None:
        return
    # A handler broke before answering a text: give the fail-safe answer (helplines if
    # the screen says crisis, else "temporarily unavailable").
    try:
        chat_id = update.effective_chat.id
        user = update.effective_user
        locale = bridge.locale(chat_id, user.language_code if user else None)
        outcome = bridge.last_resort(text, locale, bridge.memory.history(chat_id))
        await bridge.sender.send_replies(chat_id, outcome.replies)
    except Exception as exc:
        log.critical("%s: could not send the fail-safe either: %s", update_ref(update),
                     describe_exception(exc))
