"""The atomic Redis lock store: unique tickets under contention, safe fallback without Redis."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from rasa.core.lock_store import RedisLockStore

from bot.scale.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.redis


def _store(port: int) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(host="127.0.0.1", port=port, db=15, key_prefix=uuid.uuid4().hex[:8])


def _issue_concurrently(stores: list[RedisLockStore], conversation: str, threads: int, each: int) -> list[int]:
    tickets: list[int] = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(threads)

    def worker(store: RedisLockStore) -> None:
        start.wait()
        try:
            for _ in range(each):
                ticket = store.issue_ticket(conversation, 60)
                with guard:
                    tickets.append(ticket)
        except BaseException as error:  # surfaced below: a lost thread must fail the test
            errors.append(error)

    pool = [threading.Thread(target=worker, args=(stores[i % len(stores)],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    return tickets


def test_stock_redis_lock_store_can_hand_out_one_ticket_twice(redis_port):
    """Why this module exists: Rasa's GET-modify-SET, interleaved by two replicas."""
    stock = RedisLockStore(host="127.0.0.1", port=redis_port, db=15, key_prefix=uuid.uuid4().hex[:8])
    seen_by_a = stock.get_or_create_lock("c0")  # replica A reads the lock...
    ticket_b = stock.issue_ticket("c0", 60)  # ...replica B issues a ticket meanwhile...
    ticket_a = seen_by_a.issue_ticket(60)  # ...and A writes back its stale copy
    stock.save_lock(seen_by_a)
    assert ticket_a == ticket_b


def test_tickets_are_unique_under_contention(redis_port):
    # Separate store objects = separate replicas sharing one Redis, issuing at once.
    stores = [_store(redis_port) for _ in range(2)]
    stores[1].key_prefix = stores[0].key_prefix
    tickets = _issue_concurrently(stores, "c1", 16, 25)
    assert len(tickets) == 400
    assert len(set(tickets)) == len(tickets), "two holders got the same ticket"


def test_returning_tickets_deletes_the_lock_only_when_nobody_waits(redis_port):
    store = _store(redis_port)
    first = store.issue_ticket("c2", 60)
    second = store.issue_ticket("c2", 60)
    store.cleanup("c2", first)
    assert store.get_lock("c2") is not None  # the second holder still waits
    store.cleanup("c2", second)
    assert store.get_lock("c2") is None


async def test_one_message_of_a_conversation_at_a_time(redis_port):
    store = _store(redis_port)
    inside = 0
    most = 0

    async def handle() -> None:
        nonlocal inside, most
        async with store.lock("c3"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.02)
            inside -= 1

    await asyncio.gather(*(handle() for _ in range(10)))
    assert most == 1


async def test_without_redis_it_serialises_locally_and_reports_degraded():
    store = AtomicRedisLockStore(host="127.0.0.1", port=1, db=0)
    inside = 0
    most = 0

    async def handle() -> None:
        nonlocal inside, most
        async with store.lock("c4"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(handle() for _ in range(5)))
    assert most == 1
    assert store.health()["status"] == "degraded"


async def test_a_ticket_left_in_redis_by_an_outage_is_returned_when_redis_answers(redis_port, monkeypatch):
    """Otherwise the conversation's next message would wait for the ticket to expire."""
    import redis

    store = _store(redis_port)
    real_cleanup = store.cleanup
    failures = iter([True])

    def flaky_cleanup(conversation_id: str, ticket: int) -> None:
        if next(failures, False):
            raise redis.ConnectionError("Redis went away mid-message")
        real_cleanup(conversation_id, ticket)

    monkeypatch.setattr(store, "cleanup", flaky_cleanup)
    async with store.lock("c5", lock_lifetime=60):
        pass
    assert store.get_lock("c5") is not None  # the ticket is still in Redis
    assert store.health()["status"] == "degraded"
    started = asyncio.get_running_loop().time()
    async with store.lock("c5", lock_lifetime=60):
        pass
    assert asyncio.get_running_loop().time() - started < 2, "waited for the stale ticket"
    assert store.get_lock("c5") is None
    assert store.health()["status"] == "ready"


async def test_messages_around_an_outage_and_the_recovery_never_overlap(redis_port):
    """One message handled with Redis, the next without it, the one after with it again:
    still one at a time within the replica."""
    from tests.scale.tcp_proxy import TcpProxy

    proxy = TcpProxy(redis_port)
    store = AtomicRedisLockStore(host="127.0.0.1", port=proxy.port, db=15, key_prefix=uuid.uuid4().hex[:8])
    inside = 0
    most = 0

    async def handle(hold: float) -> None:
        nonlocal inside, most
        async with store.lock("c6"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(hold)
            inside -= 1

    try:
        first = asyncio.create_task(handle(0.3))  # takes its Redis ticket
        await asyncio.sleep(0.05)
        proxy.cut()
        second = asyncio.create_task(handle(0.3))  # Redis is away: local lock only
        await asyncio.sleep(0.05)
        proxy.restore()
        third = asyncio.create_task(handle(0.1))  # Redis is back
        await asyncio.gather(first, second, third)
    finally:
        proxy.close()
    assert most == 1
