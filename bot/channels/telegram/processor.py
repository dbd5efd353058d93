"""Per-chat ordering of updates while different chats are processed concurrently.

Each update waits for the previous update of the same chat to finish, so a chat's
messages are answered in the order they were sent, while a chat waiting on a slow
Rasa turn does not hold up anyone else. The order is fixed when an update starts:
the Application starts one task per update in queue order and the first thing each
does (nothing is awaited before, the semaphore being far from full) is to join its
chat's line here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["PerChatUpdateProcessor", "chat_key"]

# Far above any real load: the PTB semaphore must not queue updates itself, or its
# wake-up order (not guaranteed FIFO on Python 3.10) could reorder a chat's messages.
MAX_CONCURRENT_UPDATES = 4096


def chat_key(update: object) -> Hashable | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        # chat -> future done when the chat's latest update has been processed
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                # shield: if this task is cancelled, the previous one must not be.
                await asyncio.shield(previous)
            await coroutine
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
