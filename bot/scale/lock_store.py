"""A Redis lock store whose tickets are issued and returned atomically.

Rasa 3.6's ``RedisLockStore`` reads the conversation's ticket lock, changes it in
Python and writes it back (GET, then SET): two replicas taking a message of the same
conversation at the same moment can both read the same lock and get the same ticket,
and then process the conversation interleaved. Here every change is one optimistic
Redis transaction (WATCH / MULTI / EXEC, retried when another client changed the key
in between), so tickets are unique and a returned ticket is never lost.

Within a replica, a conversation's messages always take an in-process lock first, then
the Redis ticket. When Redis is unreachable the in-process lock alone serialises them
and the store reports ``degraded`` (see :func:`health`); the channels route each
conversation to one replica, so a conversation is still handled one message at a time.
Because the in-process lock is always taken, a message handled while Redis went away
and the next one handled after it came back (or the other way round) cannot overlap
either. A ticket that could not be returned because Redis went away mid-message is
returned as soon as Redis answers again, instead of blocking the conversation's next
message until the ticket's lifetime (60 s) runs out.
"""

from __future__ import annotations

import logging
import random
import time
import weakref
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.constants import DEFAULT_LOCK_LIFETIME
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

__all__ = ["AtomicRedisLockStore", "health"]

logger = logging.getLogger(__name__)

_LIVE: weakref.WeakSet[AtomicRedisLockStore] = weakref.WeakSet()
# Waiting for a conversation's turn: Rasa polls once a second; a second message of the
# same conversation should not wait that long.
POLL_SECONDS = 0.05


def health() -> dict[str, Any]:
    stores = list(_LIVE)
    if not stores:
        return {"status": "ready", "reasons": ["in-process lock store (single replica)"]}
    states = [store.health() for store in stores]
    return next((s for s in states if s["status"] != "ready"), states[0])


class AtomicRedisLockStore(RedisLockStore):
    # Optimistic transactions retry while other holders change the same lock; give up
    # (LockError) only after this long, which real traffic never comes near.
    RETRY_SECONDS = 5.0

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        # Rasa builds custom lock stores as ``cls(endpoint_config=...)``.
        if endpoint_config is not None:
            kwargs = {**endpoint_config.kwargs, **kwargs}
            kwargs.setdefault("host", endpoint_config.url or "localhost")
        kwargs.setdefault("socket_timeout", 1)
        super().__init__(**kwargs)
        self._local = InMemoryLockStore()
        self._unreachable_since: float | None = None
        # (conversation, ticket) whose return failed because Redis was unreachable.
        self._unreturned: list[tuple[str, int]] = []
        _LIVE.add(self)

    # ------------------------------------------------------------------ state

    def health(self) -> dict[str, Any]:
        since = self._unreachable_since
        if since is None:
            return {"status": "ready", "reasons": []}
        return {
            "status": "degraded",
            "reasons": [
                f"Redis lock store unreachable for {time.monotonic() - since:.0f}s: "
                "conversations are serialised per replica only"
            ],
        }

    def _mark(self, reachable: bool) -> None:
        if reachable and self._unreachable_since is not None:
            self._unreachable_since = None
            logger.warning("Redis lock store reachable again")
        elif not reachable and self._unreachable_since is None:
            self._unreachable_since = time.monotonic()
            logger.warning("Redis lock store unreachable: serialising per replica")

    # ------------------------------------------------------------------ atomic edits

    def _update(
        self, conversation_id: str, change: Callable[[TicketLock | None], TicketLock | None]
    ) -> TicketLock | None:
        """Apply ``change`` to the stored lock in one transaction; None deletes it."""
        key = self.key_prefix + conversation_id
        deadline = time.monotonic() + self.RETRY_SECONDS
        attempt = 0
        while time.monotonic() < deadline:
            if attempt:
                # Jittered back-off so contending writers stop colliding.
                time.sleep(random.uniform(0, min(0.001 * attempt, 0.02)))
            attempt += 1
            with self.red.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = TicketLock.from_dict(_loads(raw)) if raw else None
                    updated = change(current)
                    pipe.multi()
                    if updated is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, updated.dumps())
                    pipe.execute()
                    return updated
                except redis.WatchError:
                    continue  # someone else changed it between WATCH and EXEC: retry
        raise LockError(f"lock for a conversation kept changing for {self.RETRY_SECONDS}s")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = DEFAULT_LOCK_LIFETIME) -> int:
        issued: list[int] = []

        def add_ticket(lock: TicketLock | None) -> TicketLock:
            lock = lock or TicketLock(conversation_id)
            lock.remove_expired_tickets()
            issued[:] = [lock.issue_ticket(lock_lifetime)]
            return lock

        try:
            self._update(conversation_id, add_ticket)
        except redis.RedisError as error:
            raise LockError(f"Redis unreachable while issuing a ticket: {type(error).__name__}") from error
        return issued[0]

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> TicketLock | None:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock

        self._update(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Return the ticket, and delete the lock if nobody else holds one (atomically)."""

        def return_ticket(lock: TicketLock | None) -> TicketLock | None:
            if lock is None:
                return None
            lock.remove_ticket_for(ticket_number)
            lock.remove_expired_tickets()
            return lock if lock.is_someone_waiting() else None

        self._update(conversation_id, return_ticket)

    # ------------------------------------------------------------------ the lock

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = DEFAULT_LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        # This replica's own turn first (see the module docstring), then the shared one.
        async with self._local.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as local:
            self._return_unreturned()
            try:
                ticket = self.issue_ticket(conversation_id, lock_lifetime)
            except LockError as error:
                if not isinstance(error.__cause__, redis.RedisError):
                    raise
                self._mark(reachable=False)
                yield local
                return
            self._mark(reachable=True)
            try:
                yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
            finally:
                try:
                    self.cleanup(conversation_id, ticket)
                except redis.RedisError:
                    self._mark(reachable=False)
                    self._unreturned.append((conversation_id, ticket))

    def _return_unreturned(self) -> None:
        """Return tickets left in Redis by an outage (their messages are long done)."""
        while self._unreturned:
            conversation_id, ticket = self._unreturned[0]
            try:
                self.cleanup(conversation_id, ticket)
            except redis.RedisError:
                return  # still away: try again with the next message
            except LockError:
                pass  # the lock kept changing: leave this ticket to expire
            self._unreturned.pop(0)

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        try:
            return await super()._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        except redis.RedisError as error:
            self._mark(reachable=False)
            raise LockError("Redis unreachable while waiting for a conversation's turn") from error


def _loads(raw: bytes | str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(raw)
    return value
