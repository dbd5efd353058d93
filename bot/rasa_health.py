"""``GET /webhooks/health/`` on every Rasa server: ready, degraded or down, and why.

Mounted as a Rasa input channel (credentials.yml), so it needs no change to Rasa and is
served by every replica. It reports the model, the tracker store, the lock store, the
audit record and the action server:

* ``down`` (HTTP 503) when this replica cannot answer at all (no model loaded) or is
  running without this project's tracker store or audit broker (a misconfiguration
  Rasa would otherwise hide by falling back to memory);
* ``degraded`` (HTTP 200) when it answers but something is impaired: database or Redis
  unreachable, audit records waiting in the spool, action server down (content answers
  get a polite fallback; crisis replies do not need it);
* ``ready`` otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

__all__ = ["HealthInput", "combine"]

_ORDER = ["ready", "degraded", "down"]


def combine(checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    status = max((c["status"] for c in checks.values()), key=_ORDER.index, default="ready")
    reasons = [f"{name}: {r}" for name, c in checks.items() for r in c.get("reasons", [])]
    return {"status": status, "reasons": reasons, "checks": checks}


async def _action_server(agent: Any) -> dict[str, Any]:
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or not endpoint.url:
        return {"status": "degraded", "reasons": ["no action server configured"]}
    url = endpoint.url.rsplit("/webhook", 1)[0] + "/health"
    try:
        timeout = aiohttp.ClientTimeout(total=1.5)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as reply:
            if reply.status == 200:
                return {"status": "ready", "reasons": []}
            return {"status": "degraded", "reasons": [f"action server answered HTTP {reply.status}"]}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {
            "status": "degraded",
            "reasons": [f"action server unreachable ({type(error).__name__}): questions get a polite fallback"],
        }


def _tracker_store(agent: Any) -> dict[str, Any]:
    from bot.scale import tracker_store

    store = agent.tracker_store
    # Rasa wraps the store (AwaitableTrackerStore / FailSafeTrackerStore): look inside.
    seen = 0
    while hasattr(store, "_tracker_store") and seen < 5:
        store = store._tracker_store
        seen += 1
    if not isinstance(store, tracker_store.ResilientSQLTrackerStore):
        return {
            "status": "down",
            "reasons": [f"tracker store is {type(store).__name__}, not the project's SQL store"],
        }
    return store.health()


def _audit() -> dict[str, Any]:
    from bot import audit
    from bot.audit.writer import live_writers

    if not live_writers():
        return {"status": "down", "reasons": ["the audit event broker is not loaded"]}
    return audit.health()


class HealthInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "health"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        health = Blueprint("health_webhook", __name__)

        @health.route("/", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            from bot.scale import lock_store

            agent = request.app.ctx.agent
            checks: dict[str, dict[str, Any]] = {}
            checks["model"] = (
                {"status": "ready", "reasons": []}
                if agent is not None and agent.is_ready()
                else {"status": "down", "reasons": ["no model loaded"]}
            )
            if agent is not None:
                checks["tracker_store"] = _tracker_store(agent)
                checks["action_server"] = await _action_server(agent)
            checks["lock_store"] = lock_store.health()
            checks["audit"] = _audit()
            result = combine(checks)
            return response.json(result, status=503 if result["status"] == "down" else 200)

        @health.listener("after_server_start")
        async def warm_up(app: Any, loop: Any) -> None:
            # The first parse builds TensorFlow's graph (seconds); do it now rather than
            # on a patient's first message, which the channels time out after a few
            # seconds. A parse writes no tracker and no audit record.
            agent = app.ctx.agent
            if agent is not None and agent.is_ready():
                await agent.parse_message("hello")

        return health
