"""The resilient tracker store: exactly-once publishing, outage, recovery, no silent fallback."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.scale import tracker_store as module
from bot.scale.tracker_store import ResilientSQLTrackerStore
from bot.settings import PROJECT_ROOT
from tests.scale.tcp_proxy import TcpProxy


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


def turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(f"reply to {text}"))
    tracker.update(ActionExecuted("action_listen"))


def new_tracker(sender: str, domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    return tracker


def texts(published: list[dict[str, Any]], kind: str) -> list[str]:
    return [e["text"] for e in published if e["event"] == kind]


def db_event_count(url: str, sender: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar()
    engine.dispose()
    return int(count or 0)


async def test_each_event_is_published_once_and_stored_once(tmp_path: Path, domain: Domain):
    broker = RecordingBroker()
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = ResilientSQLTrackerStore(domain=domain, host=url, event_broker=broker)
    tracker = new_tracker("alice", domain)
    turn(tracker, "hello")
    await store.save(tracker)
    again = await store.retrieve("alice")
    assert again is not None
    turn(again, "second")
    await store.save(again)
    assert texts(broker.published, "user") == ["hello", "second"]
    # Every stored event was published once (retrieve returns only the latest session,
    # so count the rows rather than the tracker's events).
    assert len(broker.published) == db_event_count(url, "alice") == 1 + len(again.events)
    assert store.health()["status"] == "ready"


async def test_a_database_that_is_down_at_start_does_not_stop_rasa(domain: Domain):
    """Stock SQLTrackerStore loops forever at start; ours starts degraded."""
    store = ResilientSQLTrackerStore(
        domain=domain, host="postgresql://postgres@127.0.0.1:1/none", event_broker=RecordingBroker()
    )
    assert store.health()["status"] == "degraded"
    assert await store.retrieve("nobody") is None


@pytest.mark.postgres
async def test_outage_keeps_answering_loses_nothing_and_recovers(domain: Domain, pg_database: str):
    proxy = TcpProxy(5432)
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}/{pg_database}"
    broker = RecordingBroker()
    store = ResilientSQLTrackerStore(domain=domain, host=url, event_broker=broker)
    store.RETRY_SECONDS = 0.2
    try:
        tracker = new_tracker("bob", domain)
        turn(tracker, "before the outage")
        await store.save(tracker)

        proxy.cut()
        during = await store.retrieve("bob")
        assert during is not None, "the conversation must continue from memory"
        turn(during, "during the outage")
        await store.save(during)
        assert store.health()["status"] == "degraded"
        assert store.health()["pending"] == 1
        # The audit broker already has the outage turn (it spools to local disk).
        assert texts(broker.published, "user") == ["before the outage", "during the outage"]

        later = await store.retrieve("bob")
        assert later is not None
        turn(later, "still during")
        await store.save(later)

        proxy.restore()
        deadline = time.monotonic() + 15
        while store.health()["status"] != "ready" and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert store.health()["status"] == "ready"

        final = await store.retrieve("bob")
        assert final is not None
        turn(final, "after recovery")
        await store.save(final)
        direct_url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
        assert texts(broker.published, "user") == [
            "before the outage", "during the outage", "still during", "after recovery"
        ]
        # Every event stored once and published once, outage or not.
        assert len(broker.published) == db_event_count(direct_url, "bob") == 1 + len(final.events)
    finally:
        proxy.close()
        store.engine.dispose()


def test_health_says_down_when_no_project_store_is_loaded(monkeypatch):
    monkeypatch.setattr(module, "_LIVE", type(module._LIVE)())
    assert module.health()["status"] == "down"
