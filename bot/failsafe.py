"""The channels' last line of defence when Rasa is down, slow or broken.

The bridge screens the text itself (the screen is a plain library: no Rasa, no network,
no database) and returns the helpline reply when it is needed; otherwise a short
"temporarily unavailable" message that still carries the emergency number. Nothing
is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import safety

__all__ = ["failsafe_reply"]


def failsafe_reply(
    text: str,
    locale: str | None,
    history: Sequence[str] = (),
    default_region: str | None = None,
) -> tuple[str, safety.Verdict]:
    verdict = safety.screen(text, locale=locale, history=history, default_region=default_region)
    if verdict.level.at_least(safety.Level.CRISIS):
        return safety.compose_reply(verdict), verdict
    return safety.compose_unavailable(verdict.lang, verdict.region), verdict
