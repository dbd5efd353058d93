"""The website chat widget: demo clinic page, static files and the chat API.

``setup(app, settings)`` registers:

- ``GET /``            the demo clinic page, which embeds the widget with one script tag
- ``GET /widget/...``  ``widget.js``, ``widget.css`` and the demo page's stylesheet
- ``/api/chat/...``    the JSON API (see :mod:`bot.web.widget.api`)

and, for the app's lifetime, the transcript store, the Rasa client and a retention purge.

For other features (GDPR erasure, retention jobs) there are two synchronous helpers:
:func:`erase_conversation` and :func:`purge_expired`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.settings import Settings

__all__ = ["setup", "erase_conversation", "purge_expired", "STATIC_DIR"]

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
_PURGE_EVERY_SECONDS = 6 * 3600


def setup(app: web.Application, settings: Settings) -> None:
    from bot.rasa_client import RasaClient
    from bot.web.widget import api, identity, pages, security
    from bot.web.widget.bridge import ChatBridge, run_periodically
    from bot.web.widget.store import TranscriptStore

    app.router.add_routes([pages.demo_page_handler(), *api.routes()])
    app.router.add_static("/widget/", STATIC_DIR, show_index=False, follow_symlinks=False)
    # aiohttp 3.9 types Signal.append oddly; the handler has the documented signature.
    app.on_response_prepare.append(security.add_security_headers)  # type: ignore[arg-type]

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        await asyncio.to_thread(_warm_up_safety)
        app[api.SECRET_KEY] = identity.load_secret(settings)
        store = await asyncio.to_thread(TranscriptStore.open, settings)
        rasa = RasaClient(settings.rasa_url, timeout=settings.rasa_timeout_seconds)
        from bot.audit.channel import ChannelAudit

        audit = await asyncio.to_thread(ChannelAudit, settings)
        bridge = ChatBridge(settings, store, rasa, audit=audit)
        app[api.BRIDGE_KEY] = bridge
        purge = asyncio.create_task(
            run_periodically(bridge.purge_expired, _PURGE_EVERY_SECONDS, "widget retention purge")
        )
        try:
            yield
        finally:
            purge.cancel()
            await bridge.drain()
            await rasa.aclose()
            await asyncio.to_thread(audit.close)
            store.dispose()

    app.cleanup_ctx.append(lifetime)


def _warm_up_safety() -> None:
    """Load the screen's tables before serving: the first screen takes about a second,
    and the bridge screens every message (and the fail-safe must answer quickly)."""
    try:
        import safety

        safety.warm_up()
    except Exception:  # noqa: BLE001 - the bridge copes without it; say so loudly
        logger.critical(
            "safety screen failed to load; the widget's fail-safe is degraded", exc_info=True
        )


def erase_conversation(sender_id: str, settings: Settings | None = None) -> int:
    """Erase the widget's stored copy of one conversation (GDPR erasure).

    ``sender_id`` is the Rasa sender id (``web:<id>``) or the bare id. Returns the number
    of stored messages (user turns with their replies) deleted; 0 if there were none.
    The browser's cookie then no longer resumes anything: its next visit starts afresh.
    """
    from bot import settings as settings_module
    from bot.web.widget.store import TranscriptStore, conversation_id_from_sender

    store = TranscriptStore.open(settings or settings_module.load())
    try:
        return store.erase_conversation(conversation_id_from_sender(sender_id))
    finally:
        store.dispose()


def purge_expired(
    settings: Settings | None = None, days: int | None = None, now: datetime | None = None
) -> int:
    """Delete conversations idle for more than ``days`` (default ``web_retention_days``).

    Returns the number of stored messages deleted. ``days`` of 0 keeps everything.
    The web app also runs this every six hours on its own.
    """
    from bot import settings as settings_module
    from bot.web.widget.store import TranscriptStore

    settings = settings or settings_module.load()
    keep_days = settings.web_retention_days if days is None else days
    if keep_days <= 0:
        return 0
    store = TranscriptStore.open(settings)
    try:
        return store.purge_inactive(timedelta(days=keep_days), now=now)
    finally:
        store.dispose()
