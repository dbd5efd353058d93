"""The /forget hook into the clinician audit store.

Handlers receive an :class:`Eraser` (injected, so tests and other deployments can
swap it). The default calls ``bot.audit.erase_sender``, which erases the audit
record's text and sender link and the sender's rows in Rasa's tracker store, and
reports ``erased``, ``not_found`` (nothing stored: still a success for the user) or
``held`` (legal hold: nothing erased). It is imported lazily so the bridge starts
even when the audit package cannot be loaded; /forget then says it failed.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.settings import Settings

__all__ = ["Eraser", "ErasureFailed", "audit_eraser", "ERASED", "NOT_FOUND", "HELD"]

ERASED = "erased"
NOT_FOUND = "not_found"
HELD = "held"


class ErasureFailed(Exception):
    """The erasure could not be done (store down, audit package missing, ...)."""


class Eraser(Protocol):
    async def __call__(self, sender_id: str) -> str:
        """Erase what is stored for ``sender_id``; return erased / not_found / held."""
        ...


def audit_eraser(settings: Settings) -> Eraser:
    async def erase(sender_id: str) -> str:
        try:
            from bot import audit
        except Exception as exc:  # the audit package failed to import
            raise ErasureFailed(f"audit package unavailable: {type(exc).__name__}") from exc
        try:
            # Blocking database work: keep it off the event loop.
            result = await asyncio.to_thread(
                audit.erase_sender, sender_id, via="telegram", settings=settings
            )
        except Exception as exc:
            raise ErasureFailed(type(exc).__name__) from exc
        status = str(result.get("status", "")) if isinstance(result, dict) else ""
        if status not in {ERASED, NOT_FOUND, HELD}:
            raise ErasureFailed(f"unexpected erasure status {status!r}")
        return status

    return erase
