"""Deliver replies to a chat: split at Telegram's limit, attach buttons, retry what is safe.

Retries: flood control (RetryAfter: nothing was sent) and network errors (the
request may or may not have arrived: for a reply that may carry helpline numbers a
duplicate is better than nothing). Not retried: Telegram refusing the message
(BadRequest, Forbidden: the user blocked the bot). If Telegram accepted the message
but its answer could not be read, the message counts as sent (no duplicate).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import InlineKeyboardButtonLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.formatting import split_message
from bot.channels.telegram.memory import ChatMemory
from bot.channels.telegram.rasa_bridge import Reply

__all__ = ["ReplySender", "button_data", "PAYLOAD_PREFIX", "INDEX_PREFIX"]

log = logging.getLogger(__name__)

T = TypeVar("T")

PAYLOAD_PREFIX = "p:"  # callback data carrying a Rasa button payload itself
INDEX_PREFIX = "i:"  # ... or the index of a payload kept in ChatMemory (too long for 64 bytes)
_MAX_DATA = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
_MAX_ATTEMPTS = 4
_MAX_FLOOD_WAIT = 60.0


def button_data(payload: str, index: int) -> str:
    data = PAYLOAD_PREFIX + payload
    if len(data.encode("utf-8")) <= _MAX_DATA:
        return data
    return f"{INDEX_PREFIX}{index}"


def _seconds(retry_after: Any) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)


class ReplySender:
    def __init__(self, bot: Bot, memory: ChatMemory, parse_mode: str | None = None) -> None:
        self._bot = bot
        self._memory = memory
        self._parse_mode = parse_mode
        # When the Bot API last answered a send, and when (and how) it last could not be
        # reached: time.monotonic() values, for the webhook's health report.
        self.api_answered_at: float | None = None
        self.api_failed: tuple[float, str] | None = None

    async def send_replies(self, chat_id: int, replies: Sequence[Reply]) -> bool:
        """Send every reply in order; True if every part was delivered."""
        payloads = [payload for reply in replies for _, payload in reply.buttons]
        if payloads:
            self._memory.set_payloads(chat_id, payloads)
        ok = True
        index = 0
        for reply in replies:
            markup = None
            if reply.buttons:
                rows = []
                for title, payload in reply.buttons:
                    rows.append(
                        [InlineKeyboardButton(title[:64], callback_data=button_data(payload, index))]
                    )
                    index += 1
                markup = InlineKeyboardMarkup(rows)
            ok = await self.send_text(chat_id, reply.text, markup) and ok
        return ok

    async def send_text(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> bool:
        """Send ``text`` (split as needed); ``markup`` goes on the last part."""
        parts = split_message(text, parse_mode=self._parse_mode)
        if not parts:
            if markup is None:
                return True
            parts = ["\u2b07"]  # Telegram needs some text to carry a keyboard
        ok = True
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            sent = await self._call(
                functools.partial(
                    self._bot.send_message,
                    chat_id,
                    part,
                    parse_mode=self._parse_mode,
                    reply_markup=markup if last else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                "sendMessage",
            )
            ok = sent and ok
        return ok

    async def _call(self, request: Callable[[], Awaitable[T]], what: str) -> bool:
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                await request()
                self.api_answered_at = time.monotonic()
                return True
            except RetryAfter as exc:
                self.api_answered_at = time.monotonic()
                wait = min(_seconds(exc.retry_after), _MAX_FLOOD_WAIT)
                log.warning("%s: flood control, retrying in %.0fs", what, wait)
                await asyncio.sleep(wait)
            except Forbidden:
                self.api_answered_at = time.monotonic()
                log.info("%s: the user has blocked the bot or left the chat", what)
                return False
            except BadRequest as exc:
                self.api_answered_at = time.monotonic()
                # Telegram's description names the problem, never the message text.
                log.error("%s refused by Telegram: %s", what, exc.message[:200])
                return False
            except NetworkError as exc:  # includes TimedOut
                self.api_failed = (time.monotonic(), type(exc).__name__)
                if attempt == _MAX_ATTEMPTS:
                    log.error("%s failed after %d attempts: %s", what, attempt, type(exc).__name__)
                    return False
                log.warning("%s: %s, retrying", what, type(exc).__name__)
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
            except TelegramError as exc:
                log.error("%s failed: %s", what, type(exc).__name__)
                return False
            except Exception as exc:
                self.api_answered_at = time.monotonic()
                # Telegram took the request but its answer did not parse: treat as sent.
                log.warning("%s: unreadable answer from the Bot API (%s)", what, type(exc).__name__)
                return True
        return False
