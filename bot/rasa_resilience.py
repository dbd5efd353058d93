"""Keep the Rasa server answering when the action server is down or broken.

Stock Rasa logs the failure of a custom action and sends nothing, so a patient who
asked a question gets silence. Wrapped here, a failed remote action is replaced by a
short, polite message in the user's language (composed by the safety library, with the
emergency number). Crisis replies never reach this path: they are produced in-server.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import safety

__all__ = ["install_action_fallback", "FALLBACK_UTTER_ACTION"]

logger = logging.getLogger(__name__)

FALLBACK_UTTER_ACTION = "action_server_unavailable"
_FLAG = "_bot_action_fallback_installed"


def _fallback_text(tracker: Any) -> str:
    lang = tracker.get_slot("lang") or "en"
    region = tracker.get_slot("region") or "UK"
    return safety.compose_unavailable(lang, region)


def install_action_fallback() -> None:
    """Wrap ``RemoteAction.run`` (idempotent)."""
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core.events import BotUttered

    if getattr(RemoteAction, _FLAG, False):
        return
    original_run = RemoteAction.run

    async def run(self, output_channel, nlg, tracker, domain):  # type: ignore[no-untyped-def]
        try:
            return await original_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a deliberate rejection (e.g. by a form) is part of the dialogue
        except (Exception, asyncio.TimeoutError) as exc:
            # No message text in the log: only the action and the kind of failure.
            logger.warning(
                "custom action %s failed (%s); sent the fallback reply",
                self.name(), type(exc).__name__,
            )
            return [
                BotUttered(
                    text=_fallback_text(tracker),
                    metadata={"utter_action": FALLBACK_UTTER_ACTION},
                )
            ]

    RemoteAction.run = run  # type: ignore[method-assign]
    setattr(RemoteAction, _FLAG, True)
