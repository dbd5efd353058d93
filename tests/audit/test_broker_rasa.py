"""The broker as Rasa loads it: from endpoints.yml, through EventBroker.create."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.audit.broker import AuditEventBroker
from bot.audit.verify import verify


async def test_rasa_loads_broker_from_endpoints(h, settings, tmp_path: Path, monkeypatch):
    from rasa.core.brokers.broker import EventBroker
    from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
    from rasa.utils.endpoints import read_endpoint_config

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "event_broker:\n  type: bot.audit.broker.AuditEventBroker\n  url: ${AUDIT_DB_URL}\n  drain_interval: 0.05\n",
        encoding="utf-8",
    )
    cfg = read_endpoint_config(str(endpoints), "event_broker")
    broker = await EventBroker.create(cfg)
    assert isinstance(broker, AuditEventBroker) and broker.url == settings.audit_db_url
    assert broker.is_ready()
    safety = {"level": "crisis", "lang": "en", "region": "UK", "country": "GB", "helplines": ["samaritans"],
              "reasons": [{"detector": "lexicon", "rule": "r", "level": "crisis", "span": (0, 5), "matched": "I want", "score": 1.0}],
              "version": "v"}  # fmt: skip
    for event in (
        SessionStarted(),
        UserUttered(
            "I want to die",
            parse_data={"intent": {}, "entities": [], "safety": safety},
            input_channel="rest",
            metadata={"channel": "web"},
        ),
        BotUttered("Samaritans 116 123", metadata={"utter_action": "utter_safety"}),
    ):
        body = {"sender_id": "web:rasa1"}
        body.update(event.as_dict())
        broker.publish(body)
    assert await asyncio.to_thread(broker.flush, 10)
    await broker.close()
    store = h.open_test_store(settings)
    try:
        report = verify(store)
        assert report.ok and report.records == 3
    finally:
        store.close()
