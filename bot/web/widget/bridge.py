"""From one widget message to its replies, exactly once per (conversation, client message id).

Order of work for a message, under the conversation's lock:

1. Already stored under this client_message_id? Return the stored replies (a retry after
   a dropped connection must not reach Rasa twice).
2. Screen the text (plain library, sub-millisecond) so that a crisis is never rate
   limited and a too-long crisis message still gets the helplines.
3. Rate limit (not for crisis), then length limit (a kind reply, not an error).
4. Ask Rasa with sender ``web:<server-issued id>``; if it errors, times out or says
   nothing, the fail-safe answers instead (helplines for crisis, else "temporarily
   unavailable" with the emergency number).
5. Store the turn with its replies, then return them.

The work runs in its own task, shielded from the request: aiohttp cancels a handler
when the browser disconnects, and a message half-sent to Rasa but not stored would be
sent again on the retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from bot.rasa_client import RasaClient, RasaUnavailable
from bot.settings import Settings
from bot.web.widget import texts
from bot.web.widget.limits import KeyedLocks, RateLimiter
from bot.web.widget.store import Reply, TranscriptStore, Turn

__all__ = ["ChatBridge", "Outcome", "RateLimited", "IdConflict", "ConversationGone", "MAX_CHARS"]

logger = logging.getLogger(__name__)

MAX_CHARS = 4000
# Generous for a person typing (a message every 5 s for a minute), tight for a script.
RATE_LIMIT = 12
RATE_WINDOW_SECONDS = 60.0

T = TypeVar("T")


class RateLimited(Exception):
    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.message = message


class IdConflict(Exception):
    """A client_message_id reused for a different text."""


class ConversationGone(Exception):
    """The conversation was erased or purged; the browser must start a new one."""


@dataclass(frozen=True)
class Outcome:
    turn: Turn
    replayed: bool  # True when the stored replies of an earlier delivery were returned


class ChatBridge:
    def __init__(
        self,
        settings: Settings,
        store: TranscriptStore,
        rasa: RasaClient,
        limiter: RateLimiter | None = None,
        max_chars: int = MAX_CHARS,
        audit: Any = None,
    ) -> None:
        self.settings = settings
        # bot.audit.channel.ChannelAudit: records the turns answered without Rasa.
        self.audit = audit
        self.store = store
        self.rasa = rasa
        self.limiter = limiter or RateLimiter(RATE_LIMIT, RATE_WINDOW_SECONDS)
        self.max_chars = max_chars
        self._locks = KeyedLocks()
        self._inflight: set[asyncio.Task[Any]] = set()

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store call in a worker thread (SQLAlchemy here is synchronous)."""
        return await asyncio.to_thread(fn, *args)

    async def send(
        self, conversation_id: str, client_message_id: str, text: str, locale: str | None
    ) -> Outcome:
        task = asyncio.ensure_future(self._send(conversation_id, client_message_id, text, locale))
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._inflight.discard(task)
        # If the request went away, nobody awaits the task: collect its outcome here so a
        # failure is logged once instead of "exception was never retrieved".
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, (RateLimited, IdConflict, ConversationGone)):
                logger.error("widget message handling failed: %s", type(exc).__name__)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let messages in flight finish (on shutdown) so none is half-handled."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=timeout)

    async def _send(
        self, conversation_id: str, client_message_id: str, text: str, locale: str | None
    ) -> Outcome:
        async with self._locks.hold(conversation_id):
            stored = await self.db(self.store.find_turn, conversation_id, client_message_id)
            if stored is not None:
                if stored.user_text != text:
                    raise IdConflict(client_message_id)
                return Outcome(stored, replayed=True)
            if not await self.db(self.store.conversation_exists, conversation_id):
                raise ConversationGone(conversation_id)

            history = await self.db(self.store.last_user_texts, conversation_id, 2)
            verdict = self._screen(text, locale, history)
            urgent = verdict is None or verdict.level.at_least(_crisis_level())
            lang = texts.ui_lang(verdict.lang if verdict is not None else _lang_of(locale))

            if not urgent:
                wait = self.limiter.retry_after(conversation_id)
                if wait:
                    raise RateLimited(wait, texts.rate_limited(lang))
            self.limiter.record(conversation_id)

            display: str | None = None
            if len(text) > self.max_chars:
                replies, source = self._too_long(verdict, lang), "too_long"
            else:
                display = await self._quick_reply_title(conversation_id, text)
                replies, source = await self._ask_rasa(conversation_id, text, locale, history)

            turn = Turn(
                client_message_id=client_message_id,
                user_text=text,
                display_text=display,
                locale=locale,
                replies=tuple(replies),
                source=source,
            )
            await self.db(self.store.add_turn, conversation_id, turn)
            if source != "rasa" and self.audit is not None:
                # Rasa's event broker never saw this turn: the audit record gets it here.
                await self.db(
                    self.audit.record, f"web:{conversation_id}", "web", locale, text, verdict,
                    [r.text for r in replies if r.text], source,
                )
            return Outcome(turn, replayed=False)

    def _screen(self, text: str, locale: str | None, history: Sequence[str]) -> Any:
        """The safety verdict, or None if the screen itself failed (then treat as urgent)."""
        try:
            import safety

            return safety.screen(
                text, locale=locale, history=history, default_region=self.settings.default_region
            )
        except Exception:  # noqa: BLE001 - never let the screen break delivery
            logger.exception("safety screen failed in the web bridge; treating message as urgent")
            return None

    def _too_long(self, verdict: Any, lang: str) -> list[Reply]:
        replies = []
        if verdict is not None and verdict.level.at_least(_crisis_level()):
            import safety

            replies.append(Reply(safety.compose_reply(verdict)))
        replies.append(Reply(texts.too_long(lang, self.max_chars)))
        return replies

    async def _quick_reply_title(self, conversation_id: str, text: str) -> str | None:
        """A quick reply sends its payload (``/ask_ptsd``); the bubble shows its title."""
        if not text.startswith("/"):
            return None
        for reply in await self.db(self.store.last_replies, conversation_id):
            for button in reply.buttons:
                if button.get("payload") == text and button.get("title"):
                    return button["title"]
        return None

    async def _ask_rasa(
        self, conversation_id: str, text: str, locale: str | None, history: Sequence[str]
    ) -> tuple[list[Reply], str]:
        metadata: dict[str, Any] = {"channel": "web"}
        if locale:
            metadata["locale"] = locale
        try:
            messages = await self.rasa.send(f"web:{conversation_id}", text, metadata)
            replies = [Reply(m.text, m.buttons) for m in messages if m.text or m.buttons]
            if not replies:
                # Silence is never an answer to a patient: treat it like an outage.
                raise RasaUnavailable("empty reply")
            return replies, "rasa"
        except RasaUnavailable as exc:
            logger.warning("Rasa unavailable (%s): the web bridge answers with the fail-safe", exc)
        return [Reply(self._failsafe(text, locale, history))], "failsafe"

    def _failsafe(self, text: str, locale: str | None, history: Sequence[str]) -> str:
        from bot.failsafe import failsafe_reply

        try:
            reply, _verdict = failsafe_reply(
                text, locale, history=history, default_region=self.settings.default_region
            )
            return reply
        except Exception:  # noqa: BLE001 - the last line of defence must still answer
            logger.exception("channel fail-safe failed; sending the static notice instead")
            return texts.last_resort(texts.ui_lang(_lang_of(locale)))

    # --- maintenance ----------------------------------------------------------------

    async def purge_expired(self) -> int:
        days = self.settings.web_retention_days
        if days <= 0:
            return 0
        return await self.db(self.store.purge_inactive, timedelta(days=days))


def _crisis_level() -> Any:
    import safety

    return safety.Level.CRISIS


def _lang_of(locale: str | None) -> str:
    return (locale or "en").split("-")[0].split("_")[0].lower()


async def run_periodically(
    job: Callable[[], Awaitable[int]], every_seconds: float, what: str
) -> None:
    """Run ``job`` now and then every ``every_seconds`` until cancelled; log failures."""
    while True:
        try:
            count = await job()
            if count:
                logger.info("%s: removed %d stored widget messages", what, count)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a maintenance failure must not stop the app
            logger.exception("%s failed", what)
        await asyncio.sleep(every_seconds)
