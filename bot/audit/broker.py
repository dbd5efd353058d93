"""Rasa event broker that feeds the clinician audit.

Configure in endpoints.yml::

    event_broker:
      type: bot.audit.broker.AuditEventBroker
      url: ${AUDIT_DB_URL}        # optional; default: settings.audit_db_url
      drain_interval: 0.25        # optional; seconds between moves from spool to database

Rasa calls :meth:`AuditEventBroker.publish` synchronously on its request path for
every tracker event. We keep user and bot messages (and session starts), spool them
durably, and return; the database is written from a background thread. A database
outage therefore never slows or breaks the assistant; ``bot.audit.health()`` says
"degraded" until the backlog is written.
"""

from __future__ import annotations

import asyncio
import logging
from asyncio import AbstractEventLoop
from typing import Any

from rasa.core.brokers.broker import EventBroker

from bot.audit.events import TurnMemory, normalize
from bot.audit.records import NewRecord
from bot.audit.writer import SpoolWriter

__all__ = ["AuditEventBroker"]

logger = logging.getLogger(__name__)


class AuditEventBroker(EventBroker):
    def __init__(
        self,
        url: str | None = None,
        *,
        settings: Any = None,
        drain_interval: float = 0.25,
        master_key: Any = None,
        start: bool = True,
    ) -> None:
        from bot import settings as settings_mod
        from bot.audit import crypto
        from bot.audit.store import open_store

        self.settings = settings or settings_mod.load()
        self.url = url or self.settings.audit_db_url
        self.master_key = master_key or crypto.load_master_key(
            self.settings.audit_master_key, self.settings.state_dir
        )
        self._memory = TurnMemory()
        self.writer = SpoolWriter(
            self.settings.state_dir / "audit-spool",
            self.master_key,
            lambda: open_store(self.url, self.master_key, settings=self.settings),
            interval=drain_interval,
        )
        self._dropped = 0
        if start:
            self.writer.start()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: Any, event_loop: AbstractEventLoop | None = None
    ) -> AuditEventBroker:
        kwargs = dict(getattr(broker_config, "kwargs", None) or {})
        url = getattr(broker_config, "url", None) or None
        interval = float(kwargs.get("drain_interval", 0.25))
        return cls(url=url, drain_interval=interval)

    def publish(self, event: dict[str, Any]) -> None:
        self.publish_many([event])

    def publish_many(self, events: list[dict[str, Any]]) -> None:
        """Publish the events of one turn together: one spool fsync for all of them
        (called by bot.scale.tracker_store; Rasa itself calls :meth:`publish`)."""
        records = []
        for event in events:
            try:
                record = normalize(event, self._memory)
            except Exception as exc:  # noqa: BLE001 - never raise into Rasa's request path
                self._dropped += 1
                logger.error(
                    "audit: could not read a %r event (%s)", event.get("event"), type(exc).__name__
                )
                continue
            if record is not None:
                records.append(record)
        self.writer.submit_many(records)

    def record(self, record: NewRecord) -> None:
        """Spool a record made elsewhere in the process (same durability as publish)."""
        self.writer.submit(record)

    def is_ready(self) -> bool:
        return True  # the spool accepts records even while the database is away

    def health(self) -> dict[str, Any]:
        return self.writer.health()

    def flush(self, timeout: float = 10.0) -> bool:
        return self.writer.flush(timeout)

    def forget_sender(self, sender_id: str) -> None:
        self._memory.forget(sender_id)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.writer.stop)
