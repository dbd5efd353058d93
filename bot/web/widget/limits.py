"""In-process concurrency helpers for the chat API: per-key locks and a rate limiter.

One web app process serves the widget (``python -m bot web``), so in-memory state is
enough; both structures forget keys that are no longer used so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

__all__ = ["KeyedLocks", "RateLimiter"]


class KeyedLocks:
    """One asyncio lock per key (a conversation): its messages are handled in order."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (sliding window)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._last_sweep = clock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def retry_after(self, key: str) -> float:
        """0 when an event is allowed now, else seconds until it will be (not recorded)."""
        now = self._clock()
        events = self._trim(key, now)
        if len(events) < self.limit:
            return 0.0
        return max(0.1, events[0] + self.window - now)

    def record(self, key: str) -> None:
        now = self._clock()
        self._trim(key, now).append(now)
        self._sweep(now)

    def _sweep(self, now: float) -> None:
        # Drop idle keys now and then so a long-running process does not grow without bound.
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
            del self._events[key]
