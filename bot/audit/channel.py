"""Audit the turns a channel answered itself, without Rasa.

When Rasa is down, times out or says nothing, the Telegram bridge and the web widget
answer with the fail-safe (helplines or "temporarily unavailable"), and a too-long
message gets a kind reply without reaching Rasa. Rasa's event broker never sees those
turns, so the channel records them here, through the same normaliser and durable spool
as the broker: the record shows what the patient wrote, the verdict of the channel's
own screen, and exactly what the channel replied.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bot.audit.broker import AuditEventBroker

__all__ = ["ChannelAudit"]


class ChannelAudit:
    def __init__(self, settings: Any, broker: AuditEventBroker | None = None) -> None:
        self._broker = broker or AuditEventBroker(settings=settings)

    def record(
        self,
        sender_id: str,
        channel: str,
        locale: str | None,
        user_text: str,
        verdict: Any,
        replies: Sequence[str],
        why: str,
    ) -> None:
        """Spool one user message and the channel's own replies (never raises)."""
        now = time.time()
        metadata: dict[str, Any] = {"channel": channel, "answered_by": f"{channel}:{why}"}
        if locale:
            metadata["locale"] = locale
        parse_data = {"safety": verdict.to_dict()} if verdict is not None else {}
        self._broker.publish(
            {
                "event": "user",
                "sender_id": sender_id,
                "timestamp": now,
                "text": user_text,
                "input_channel": channel,
                "metadata": metadata,
                "parse_data": parse_data,
            }
        )
        for offset, reply in enumerate(replies, start=1):
            self._broker.publish(
                {
                    "event": "bot",
                    "sender_id": sender_id,
                    # Strictly after the user message, in the order they were sent.
                    "timestamp": now + offset * 1e-6,
                    "text": reply,
                    "metadata": {"utter_action": f"{channel}_{why}"},
                }
            )

    def flush(self, timeout: float = 10.0) -> bool:
        return self._broker.flush(timeout)

    def close(self) -> None:
        self._broker.writer.stop()
