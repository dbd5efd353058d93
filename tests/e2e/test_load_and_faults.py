"""Load and faults on the production profile: two Rasa replicas on PostgreSQL + Redis.

One stack for the module (two replicas take a minute or two to start on this machine;
starting them per test would double the run time). Its stores are reached through
loopback TCP proxies that a test can cut and restore, so "PostgreSQL down" and "Redis
down" are real broken connections, not mocks:

    replicas ──► TcpProxy ──► PostgreSQL 127.0.0.1:5432  (tracker store + audit, fresh database)
             └─► TcpProxy ──► Redis 127.0.0.1:6379       (lock store, db 14)

Every test uses its own sender ids, sends over REST with ``RasaClient`` (sticky per
conversation, failover only to a replica that refuses connections) and checks:

* every message answered, each reply the one its question gets (phrases whose first
  reply is known from a calibration round, so a reply sent to the wrong message or
  conversation shows);
* the audit record (``python -m bot audit export --unredacted``) and the tracker
  database hold every user message of the test exactly once, in the order sent.

Each test is bounded by pytest-timeout. Skips with a reason without PostgreSQL/Redis.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import safety
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.settings import PROJECT_ROOT
from tests.conftest import TEST_EPOCHS, TEST_MODELS_DIR, make_settings
from tests.scale.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PG_PORT, REDIS_PORT = 5432, 6379
REDIS_DB = 14  # the lock store tests use 15; 0 is left alone
CLIENT_TIMEOUT = 60.0  # correctness, not speed: the machine is shared and slow at times

# Phrases whose first reply does not depend on the conversation so far, as long as a
# conversation keeps to one language (the reply language follows the conversation) and
# has no crisis language (so the screen's history never changes them).
PHRASES_BY_LANG = {
    "en": [
        ("hello", "en-GB"),
        ("thank you", "en-GB"),
        ("how fast does ketamine work?", "en-GB"),
        ("what is EMDR?", "en-GB"),
        ("can I book an appointment?", "en-GB"),
        ("what are the side effects of sertraline?", "en-GB"),
    ],
    "ru": [
        ("здравствуйте", "ru"),
        ("спасибо", "ru"),
        ("как быстро действует кетамин?", "ru"),
        ("что такое ПТСР?", "ru"),
    ],
}
PHRASES = [phrase for phrases in PHRASES_BY_LANG.values() for phrase in phrases]
CRISIS = [("I want to kill myself", "en-GB"), ("я больше не хочу жить", "ru")]


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclasses.dataclass
class Production:
    stack: Any
    pg_proxy: TcpProxy
    redis_proxy: TcpProxy
    database: str
    master_key: str
    signatures: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.stack.rasa_ports]

    @property
    def direct_db_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{self.database}"

    def client(self) -> RasaClient:
        return RasaClient(self.urls, timeout=CLIENT_TIMEOUT)


@pytest.fixture(scope="module")
def production(test_model, tmp_path_factory) -> Iterator[Production]:
    if not _reachable(PG_PORT):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    if not _reachable(REDIS_PORT):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import psycopg2

    from bot.runner import Stack

    database = f"load_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=PG_PORT, user="postgres", dbname="test")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{database}"')
    pg_proxy, redis_proxy = TcpProxy(PG_PORT), TcpProxy(REDIS_PORT)
    proxied_db = f"postgresql://postgres@127.0.0.1:{pg_proxy.port}/{database}"
    master_key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = make_settings(
        tmp_path_factory.mktemp("production"),
        replicas=2,
        tracker_db_url=proxied_db,
        audit_db_url=proxied_db,
        lock_store_url=f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}",
        audit_master_key=master_key,
    )
    stack = Stack(
        settings, replicas=2, models_dir=TEST_MODELS_DIR, epochs=TEST_EPOCHS,
        with_web=False, with_telegram=False,
    )
    try:
        stack.start(progress=False)
        running = Production(stack, pg_proxy, redis_proxy, database, master_key)
        running.signatures = asyncio.run(_calibrate(running))
        yield running
    finally:
        stack.stop()
        pg_proxy.close()
        redis_proxy.close()
        cursor = admin.cursor()
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.close()


async def _calibrate(running: Production) -> dict[str, str]:
    """The first reply each phrase gets, asked once in a fresh conversation."""
    signatures = {}
    async with running.client() as client:
        for text, locale in PHRASES:
            replies = await client.send(f"calibrate-{uuid.uuid4().hex[:8]}", text, {"locale": locale})
            assert replies and replies[0].text, f"no reply to calibration phrase {text!r}"
            signatures[text] = replies[0].text
    # Distinct first replies, or a swapped reply could go unnoticed.
    assert len(set(signatures.values())) >= len(PHRASES) - 2, "calibration phrases share replies"
    return signatures


# --------------------------------------------------------------------------- helpers


@dataclasses.dataclass
class Sent:
    """What one test sent, per conversation, and what came back."""

    messages: dict[str, list[str]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    wrong_replies: list[tuple[str, int, str]] = dataclasses.field(default_factory=list)
    unanswered: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    replies: dict[str, list[list[str]]] = dataclasses.field(default_factory=lambda: defaultdict(list))


async def _send(client: RasaClient, running: Production, sent: Sent, sender: str, text: str, locale: str) -> None:
    sent.messages[sender].append(text)
    try:
        replies = await client.send(sender, text, {"locale": locale})
    except RasaUnavailable as error:
        sent.unanswered.append((sender, str(error)))
        return
    texts = [r.text for r in replies]
    sent.replies[sender].append(texts)
    expected = running.signatures.get(text)
    if expected is not None and (not texts or texts[0] != expected):
        sent.wrong_replies.append((sender, len(sent.messages[sender]) - 1, text))


async def _conversations(
    running: Production, sent: Sent, senders: list[str], turns: int, seed: int,
    client: RasaClient | None = None,
) -> None:
    """Each sender sends ``turns`` phrases one after another; all senders at once."""
    rng = random.Random(seed)
    plans = {
        sender: [rng.choice(_phrases_of(sender)) for _ in range(turns)] for sender in senders
    }

    async def converse(client: RasaClient, sender: str) -> None:
        for text, locale in plans[sender]:
            await _send(client, running, sent, sender, text, locale)

    if client is not None:
        await asyncio.gather(*(converse(client, sender) for sender in senders))
        return
    async with running.client() as own:
        await asyncio.gather(*(converse(own, sender) for sender in senders))


def _phrases_of(sender: str) -> list[tuple[str, str]]:
    """One language per conversation: about a quarter of them Russian."""
    return PHRASES_BY_LANG["ru" if sender.endswith(("1", "5")) else "en"]


def _senders(prefix: str, count: int) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"{prefix}-{run}-{i:03d}" for i in range(count)]


def _health(url: str) -> dict[str, Any]:
    reply = httpx.get(f"{url}/webhooks/health/", timeout=10)
    body: dict[str, Any] = reply.json()
    body["http_status"] = reply.status_code
    return body


def _wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting until {what}")


def _all_ready(running: Production) -> bool:
    return all(_health(url)["status"] == "ready" for url in running.urls)


def _audit_drained(running: Production) -> bool:
    return all(_health(url)["checks"]["audit"].get("backlog", 0) == 0 for url in running.urls)


def _audit_user_messages(running: Production, senders: list[str]) -> dict[str, list[str]]:
    """User messages per sender from the audit record (CLI export), in the order they
    were sent: by event time. (The chain's order is the order records reached the
    database: a killed replica's spooled records are chained later, by whoever drains
    them, with their own event time.)"""
    env = {
        **os.environ,
        "BOT_STATE_DIR": str(running.stack.settings.state_dir),
        "AUDIT_DB_URL": running.direct_db_url,
        "AUDIT_MASTER_KEY": running.master_key,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "export", "--format", "jsonl", "--unredacted",
         "--reason", "load and fault test"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wanted = set(senders)
    found: dict[str, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    for line in result.stdout.splitlines():
        row = json.loads(line)
        if row["role"] == "user" and row["sender"] in wanted:
            found[row["sender"]].append((dt.datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")), row["seq"], row["text"]))
    return {sender: [text for _, _, text in sorted(rows)] for sender, rows in found.items()}


def _tracker_events(running: Production, senders: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every stored event per sender, in insertion order, straight from PostgreSQL."""
    engine = sa.create_engine(running.direct_db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT sender_id, data FROM events WHERE sender_id = ANY(:s) ORDER BY id"),
                {"s": senders},
            ).fetchall()
    finally:
        engine.dispose()
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sender, data in rows:
        events[sender].append(json.loads(data))
    return events


def _tracker_user_texts(events: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    return {s: [e["text"] for e in evs if e["event"] == "user"] for s, evs in events.items()}


def _interleaved_turns(events: list[dict[str, Any]]) -> list[int]:
    """Positions of user messages that arrived before the previous turn finished
    (a turn ends with action_listen; its reply must come before the next message)."""
    bad = []
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    for before, index in zip(users, users[1:], strict=False):
        previous = events[index - 1]
        answered = any(e["event"] == "bot" for e in events[before:index])
        if not (previous["event"] == "action" and previous.get("name") == "action_listen" and answered):
            bad.append(index)
    return bad


def _assert_everything_recorded(running: Production, sent: Sent, ordered: bool = True) -> None:
    senders = list(sent.messages)
    _wait_until(lambda: _audit_drained(running), 90, "the audit spools are written to the database")
    audit = _audit_user_messages(running, senders)
    tracker = _tracker_user_texts(_tracker_events(running, senders))
    for name, recorded in (("audit record", audit), ("tracker store", tracker)):
        for sender in senders:
            got = recorded.get(sender, [])
            want = sent.messages[sender]
            if ordered:
                assert got == want, f"{name}: conversation {sender} holds {len(got)} of {len(want)} messages or another order"
            else:
                assert Counter(got) == Counter(want), f"{name}: conversation {sender} lost or repeated a message"


def _replica_of(running: Production, sender: str) -> str:
    """The replica RasaClient sends ``sender``'s messages to while both are up."""
    return RasaClient.replicas_for(SimpleNamespace(urls=running.urls), sender)[0]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- tests


@pytest.mark.timeout(420, func_only=True)  # start-up (and training) bounded by Stack itself
def test_fifty_conversations_of_twenty_messages_across_two_replicas(production):
    sent = Sent()
    senders = _senders("load", 50)
    per_replica = Counter(_replica_of(production, s) for s in senders)
    assert len(per_replica) == 2 and min(per_replica.values()) >= 10, per_replica
    started = time.monotonic()
    asyncio.run(_conversations(production, sent, senders, turns=20, seed=1))
    elapsed = time.monotonic() - started
    assert not sent.unanswered, f"{len(sent.unanswered)} of 1000 messages got no answer: {sent.unanswered[:3]}"
    assert sum(len(m) for m in sent.messages.values()) == 1000
    assert not sent.wrong_replies, f"replies that belong to another question: {sent.wrong_replies[:5]}"
    _assert_everything_recorded(production, sent)
    print(f"\n1000 messages in {elapsed:.1f}s ({1000 / elapsed:.1f} messages/s), replicas {dict(per_replica)}")


@pytest.mark.timeout(420, func_only=True)  # start-up (and training) bounded by Stack itself
def test_database_down_mid_run_loses_nothing_and_reports_degraded(production):
    sent = Sent()
    senders = _senders("dbdown", 16)
    _wait_until(lambda: _all_ready(production), 60, "every replica reports ready")
    asyncio.run(_conversations(production, sent, senders, turns=3, seed=2))

    production.pg_proxy.cut()
    try:
        asyncio.run(_conversations(production, sent, senders, turns=4, seed=3))
        crisis_senders = _senders("dbdown-crisis", 6)

        async def crisis_turns() -> None:
            async with production.client() as client:
                for sender, (text, locale) in zip(crisis_senders, CRISIS * 3, strict=True):
                    await _send(client, production, sent, sender, text, locale)

        asyncio.run(crisis_turns())
        for sender, (text, locale) in zip(crisis_senders, CRISIS * 3, strict=True):
            expected = safety.compose_reply(safety.screen(text, locale=locale))
            assert sent.replies[sender] and sent.replies[sender][0][0] == expected, sender
        for url in production.urls:
            health = _health(url)
            assert health["status"] == "degraded", (url, health["status"], health["reasons"])
            assert any("tracker database unreachable" in r for r in health["reasons"]), health["reasons"]
            assert health["checks"]["audit"]["status"] == "degraded", health["checks"]["audit"]
    finally:
        production.pg_proxy.restore()

    asyncio.run(_conversations(production, sent, senders, turns=3, seed=4))
    assert not sent.unanswered, sent.unanswered[:3]
    assert not sent.wrong_replies, sent.wrong_replies[:5]
    # Back to ready once the pending trackers and the spooled audit records are written
    # (the audit writer backs off up to 30 s between attempts while the database is away).
    _wait_until(lambda: _all_ready(production), 120, "every replica reports ready again")
    # No silent in-memory fallback: the tracker database ends up with every message.
    _assert_everything_recorded(production, sent)


@pytest.mark.timeout(420, func_only=True)  # start-up (and training) bounded by Stack itself
def test_redis_down_serialises_each_conversation_and_reports_degraded(production):
    sent = Sent()
    senders = _senders("redisdown", 12)
    asyncio.run(_conversations(production, sent, senders, turns=2, seed=5))

    production.redis_proxy.cut()
    try:
        async def bursts() -> None:
            # Three messages of one conversation at the same moment: without Redis each
            # replica must still take them one at a time.
            async with production.client() as client:
                rng = random.Random(6)
                await asyncio.gather(*(
                    _send(client, production, sent, sender, *rng.choice(_phrases_of(sender)))
                    for sender in senders for _ in range(3)
                ))

        asyncio.run(bursts())
        asyncio.run(_conversations(production, sent, senders, turns=2, seed=7))
        for url in production.urls:
            health = _health(url)
            assert health["status"] == "degraded", (url, health["reasons"])
            assert health["checks"]["lock_store"]["status"] == "degraded", health["checks"]["lock_store"]
    finally:
        production.redis_proxy.restore()

    asyncio.run(_conversations(production, sent, senders, turns=2, seed=8))
    assert not sent.unanswered, sent.unanswered[:3]
    assert not sent.wrong_replies, sent.wrong_replies[:5]
    _wait_until(lambda: _all_ready(production), 60, "every replica reports ready again")
    events = _tracker_events(production, senders)
    for sender in senders:
        assert _interleaved_turns(events[sender]) == [], f"conversation {sender} was interleaved"
    # The burst's order among its three messages is whichever the server took first.
    _assert_everything_recorded(production, sent, ordered=False)


@pytest.mark.timeout(420, func_only=True)  # start-up (and training) bounded by Stack itself
def test_a_killed_replica_s_conversations_continue_on_the_other(production):
    sent = Sent()
    victim_url = production.urls[1]
    candidates = _senders("kill", 60)
    senders = [s for s in candidates if _replica_of(production, s) == victim_url][:8]
    senders += [s for s in candidates if _replica_of(production, s) != victim_url][:4]
    victim = production.stack.service(f"rasa:{victim_url.rsplit(':', 1)[1]}")
    notices = {safety.compose_notice("en", "UK"), safety.compose_notice("ru", "UK")}

    async def run() -> dict[str, int]:
        # One client throughout, as a channel has: it holds keep-alive connections to
        # the replica that dies.
        async with production.client() as client:
            await _conversations(production, sent, senders, turns=4, seed=9, client=client)
            assert not sent.unanswered, sent.unanswered[:3]
            assert victim.process is not None
            os.killpg(victim.process.pid, signal.SIGKILL)
            victim.process.wait(timeout=10)
            before = {s: len(sent.replies[s]) for s in senders}
            await _conversations(production, sent, senders, turns=4, seed=10, client=client)
            return before

    try:
        before = asyncio.run(run())
        assert not sent.unanswered, f"messages lost after the replica died: {sent.unanswered[:3]}"
        assert not sent.wrong_replies, sent.wrong_replies[:5]
        for sender in senders:
            # Same session, taken over from the shared database: the first-reply notice
            # (shown once per session) does not come again.
            after = {t for replies in sent.replies[sender][before[sender]:] for t in replies}
            assert not after & notices, f"{sender} started a new session on the other replica"
        _assert_everything_recorded_after_kill(production, sent)
    finally:
        if not victim.alive():
            from bot.runner import wait_for_http

            victim.start()
            wait_for_http(victim.health_url, 240, victim.alive)


def _assert_everything_recorded_after_kill(running: Production, sent: Sent) -> None:
    """As _assert_everything_recorded, asking only the surviving replica about its
    backlog (the export itself drains what the killed one left in the spool)."""
    survivor = running.urls[0]
    _wait_until(lambda: _health(survivor)["checks"]["audit"].get("backlog", 0) == 0, 60, "the spool is drained")
    senders = list(sent.messages)
    audit = _audit_user_messages(running, senders)
    tracker = _tracker_user_texts(_tracker_events(running, senders))
    for name, recorded in (("audit record", audit), ("tracker store", tracker)):
        for sender in senders:
            assert recorded.get(sender, []) == sent.messages[sender], f"{name}: {sender}"
