"""Named steps of the commands that take more than one message.

``/forget`` asks for confirmation, ``/language`` and ``/region`` offer choices (and
``/region`` a second choice of EU country). A button press is only acted on while
its chat is in the matching step, so an old keyboard cannot erase a conversation
days later. Steps expire (no JobQueue is installed, so we check the age on use) and
live in memory: after a restart the user simply sends the command again.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

__all__ = ["Step", "DialogueStates", "STEP_TTL_SECONDS"]

STEP_TTL_SECONDS = 600.0


class Step(enum.Enum):
    CONFIRMING_FORGET = "confirming_forget"
    CHOOSING_LANGUAGE = "choosing_language"
    CHOOSING_REGION = "choosing_region"
    CHOOSING_COUNTRY = "choosing_country"


class DialogueStates:
    def __init__(
        self, ttl: float = STEP_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._steps: dict[int, tuple[Step, float]] = {}

    def enter(self, chat_id: int, step: Step) -> None:
        now = self._clock()
        # Drop expired entries now and then so the dict cannot grow without bound.
        if len(self._steps) > 1000:
            self._steps = {k: v for k, v in self._steps.items() if now - v[1] < self._ttl}
        self._steps[chat_id] = (step, now)

    def current(self, chat_id: int) -> Step | None:
        entry = self._steps.get(chat_id)
        if entry is None:
            return None
        step, since = entry
        if self._clock() - since >= self._ttl:
            del self._steps[chat_id]
            return None
        return step

    def is_in(self, chat_id: int, *steps: Step) -> bool:
        return self.current(chat_id) in steps

    def end(self, chat_id: int) -> None:
        self._steps.pop(chat_id, None)
