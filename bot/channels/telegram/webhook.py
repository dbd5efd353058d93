"""Webhook mode: an aiohttp server that takes updates from Telegram.

Telegram sends the secret given to setWebhook in the ``X-Telegram-Bot-Api-Secret-Token``
header of every request; anything without the right secret is refused with 403
before its body is read. The server speaks plain HTTP on a loopback address by
default: put a TLS-terminating reverse proxy in front of it (docs/telegram.md).

Requests are acknowledged as soon as the update is queued (Telegram waits for the
answer before sending the next one, and a Rasa turn can take seconds).

``GET /healthz`` on the same port says ready / degraded / down and why, in the shape of
Rasa's ``/webhooks/health/`` (HTTP 200 for ready and degraded, 503 for down):

* ``rasa``    - does any Rasa replica answer its health URL (probed with a short
  timeout, cached for two seconds)? If not: ``degraded``, fail-safe replies in use.
* ``bot_api`` - as last seen by the bridge when it sent a reply: if the latest attempt
  could not reach the Bot API (a network error, not a refusal) and nothing got through
  since, ``degraded``. No Bot API call is made for the report.

Plus ``received``, the number of webhook requests accepted since start.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import Bot

from bot.channels.telegram.updates import parse_update

if TYPE_CHECKING:
    from bot.channels.telegram.sending import ReplySender
    from bot.web.health import RasaProbe

__all__ = ["WebhookServer", "SECRET_HEADER", "new_secret", "valid_secret", "parse_listen"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts
_MAX_BODY = 1024 * 1024


def new_secret() -> str:
    return secrets.token_urlsafe(48)  # 64 characters from [A-Za-z0-9_-]


def valid_secret(secret: str) -> bool:
    return bool(_SECRET.match(secret))


def parse_listen(value: str) -> tuple[str, int]:
    """ "127.0.0.1:8443", "[::1]:8443", ":8443" -> (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


class WebhookServer:
    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        secret: str,
        host: str,
        port: int,
        path: str,
        rasa: RasaProbe | None = None,
        sender: ReplySender | None = None,
    ) -> None:
        self._bot = bot
        self._rasa = rasa
        self._sender = sender
        self._queue = queue
        self._secret = secret.encode("ascii")
        self.host = host
        self.port = port
        self.path = path if path.startswith("/") else "/" + path
        self._runner: web.AppRunner | None = None
        self.received = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_post(self.path, self._receive)
        app.router.add_get("/healthz", self._health)
        return app

    async def start(self) -> None:
        # access_log=None: the access log would print every request line to our log.
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._rasa is not None:
            await self._rasa.aclose()

    async def _health(self, request: web.Request) -> web.Response:
        from bot.web.health import combine

        checks: dict[str, dict[str, Any]] = {}
        if self._rasa is not None:
            checks["rasa"] = await self._rasa.check()
        checks["bot_api"] = self._bot_api()
        result = combine(checks)
        result["received"] = self.received
        return web.json_response(result, status=503 if result["status"] == "down" else 200)

    def _bot_api(self) -> dict[str, Any]:
        sender = self._sender
        if sender is None or sender.api_failed is None:
            return {"status": "ready", "reasons": []}
        failed_at, error = sender.api_failed
        if sender.api_answered_at is not None and sender.api_answered_at >= failed_at:
            return {"status": "ready", "reasons": []}
        ago = time.monotonic() - failed_at
        return {
            "status": "degraded",
            "reasons": [f"Bot API not reachable at the last send ({error}, {ago:.0f}s ago): "
                        "replies may not be delivered"],
        }

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self._secret):
            log.warning("webhook request refused: %s secret token",
                        "missing" if not given else "wrong")
            return web.Response(status=403, text="forbidden")
        try:
            body = await request.read()
            raw = json.loads(body)
        except web.HTTPRequestEntityTooLarge:
            raise
        except (ValueError, UnicodeDecodeError):
            log.warning("webhook request refused: body is not JSON")
            return web.Response(status=400, text="body must be a JSON update")
        update = parse_update(raw, self._bot)
        self.received += 1
        if update is not None:
            await self._queue.put(update)
        # 200 even for an update we had to skip: Telegram would only send it again.
        return web.Response(text="ok")
