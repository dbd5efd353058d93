"""Per-chat sliding-window rate limit.

A chat may send ``limit`` messages in any ``window`` seconds. Over the limit the
caller tells the user once (``notify``) per burst, not once per message, so a flood
does not turn into a flood of replies. The caller screens refused text and lets a
crisis through anyway: this class only counts.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = ["RateLimiter", "Decision"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    notify: bool = False  # first refusal of this burst: tell the user
    retry_after: float = 0.0  # seconds until a message would be allowed again


@dataclass
class _Chat:
    stamps: deque[float]
    notified: bool = False


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 50_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_chats = max_chats
        self._chats: OrderedDict[Hashable, _Chat] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.limit > 0 and self.window > 0

    def check(self, key: Hashable) -> Decision:
        """Count one message from ``key`` if it is allowed; say whether it is."""
        if not self.enabled:
            return Decision(allowed=True)
        now = self._clock()
        chat = self._chats.get(key)
        if chat is None:
            chat = _Chat(stamps=deque())
            self._chats[key] = chat
            # Bounded memory: forget the chats that were quiet longest.
            while len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(key)
        while chat.stamps and now - chat.stamps[0] >= self.window:
            chat.stamps.popleft()
        if len(chat.stamps) < self.limit:
            chat.stamps.append(now)
            chat.notified = False
            return Decision(allowed=True)
        retry_after = max(0.0, self.window - (now - chat.stamps[0]))
        notify = not chat.notified
        chat.notified = True
        return Decision(allowed=False, notify=notify, retry_after=retry_after)

    def forget(self, key: Hashable) -> None:
        self._chats.pop(key, None)
