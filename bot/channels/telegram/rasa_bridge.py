"""Forward one text to Rasa, with a deadline; fall back to the bridge's own screen.

Three outcomes, none of them silence:

- Rasa answers: its messages (text and buttons) are the reply.
- Rasa errors, is unreachable or misses the deadline: ``bot.failsafe.failsafe_reply``
  screens the text here (plain library, no network) and gives the helpline reply for a
  crisis or emergency, else the "temporarily unavailable" message with the emergency
  number. Both texts come from the safety library.
- Rasa answers with nothing (it dropped the turn): the text is screened here too; a
  crisis still gets the helpline reply, anything else a short "please rephrase".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import safety
from bot.channels.telegram import texts
from bot.failsafe import failsafe_reply
from bot.rasa_client import BotMessage, RasaClient, RasaUnavailable

__all__ = ["Reply", "Outcome", "RasaForwarder", "CHANNEL"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
NOTICE_SHOWN = "notice_shown"  # metadata key, docs/contracts.md


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)


@dataclass(frozen=True)
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    path: str = "rasa"  # "rasa" | "failsafe" | "empty"
    level: str | None = None  # the bridge's own verdict, when it screened
    verdict: Any = None  # that verdict (safety.Verdict), for the audit record


def _replies(messages: Sequence[BotMessage]) -> list[Reply]:
    out = []
    for message in messages:
        buttons = tuple(
            (b["title"].strip() or b["payload"], b["payload"])
            for b in message.buttons
            if b.get("payload")
        )
        if message.text.strip() or buttons:
            out.append(Reply(text=message.text, buttons=buttons))
    return out


class RasaForwarder:
    def __init__(self, client: RasaClient, timeout: float, default_region: str | None) -> None:
        self._client = client
        self._timeout = timeout
        self._default_region = default_region

    async def respond(
        self,
        sender: str,
        text: str,
        locale: str | None,
        history: Sequence[str] = (),
        notice_shown: bool = False,
    ) -> Outcome:
        metadata: dict[str, str] = {"channel": CHANNEL}
        if locale:
            metadata["locale"] = locale
        if notice_shown:
            # The bridge has just shown the session notice (/start): Rasa need not repeat it.
            metadata[NOTICE_SHOWN] = "true"
        started = time.monotonic()
        try:
            # RasaClient's httpx timeout bounds each phase; this bounds the whole turn.
            messages = await asyncio.wait_for(
                self._client.send(sender, text, metadata), timeout=self._timeout
            )
        except (RasaUnavailable, asyncio.TimeoutError) as exc:
            reason = "timeout" if isinstance(exc, asyncio.TimeoutError) else str(exc)
            return self._failsafe(text, locale, history, reason, time.monotonic() - started)
        replies = _replies(messages)
        if replies:
            return Outcome(replies=replies, path="rasa")
        return self._empty(text, locale, history)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _failsafe(
        self, text: str, locale: str | None, history: Sequence[str], reason: str, elapsed: float
    ) -> Outcome:
        reply, verdict = failsafe_reply(text, locale, history, default_region=self._default_region)
        level = str(verdict.level.value)
        # Never the text: only why Rasa failed and what the screen decided.
        log.warning(
            "Rasa unavailable (%s after %.1fs): sent the fail-safe reply (screen level %s)",
            reason, elapsed, level,
        )
        return Outcome(replies=[Reply(text=reply)], path="failsafe", level=level, verdict=verdict)

    def _empty(self, text: str, locale: str | None, history: Sequence[str]) -> Outcome:
        verdict = safety.screen(
            text, locale=locale, history=history, default_region=self._default_region
        )
        level = str(verdict.level.value)
        log.warning("Rasa answered with no message; screen level %s", level)
        if verdict.level.at_least(safety.Level.CRISIS):
            return Outcome([Reply(safety.compose_reply(verdict))], "empty", level, verdict)
        return Outcome([Reply(texts.text("rephrase", verdict.lang))], "empty", level, verdict)
