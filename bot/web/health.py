"""``GET /healthz`` on the web app: ready, degraded or down, and why.

Same shape as Rasa's report (``bot.rasa_health``)::

    {"status": "ready|degraded|down", "reasons": ["part: why", ...],
     "checks": {"part": {"status": ..., "reasons": [...], ...}, ...}}

HTTP 200 for ready and degraded, 503 for down. The parts, checked concurrently, each
with a short time limit:

* ``widget_store``  - the widget's transcript database answers a one-row query on its
  own table (``SELECT 1 ... LIMIT 1``; a bare ``SELECT 1`` never touches an SQLite
  file). Unusable: ``down``, the widget cannot keep or answer a conversation.
* ``audit``         - ``bot.audit.health()`` as it is (ready / degraded / down).
* ``rasa``          - every replica's ``/webhooks/health/`` (:class:`RasaProbe`, cached
  for two seconds so a poller cannot hammer Rasa). No replica answering:
  ``degraded``, the widget answers with its fail-safe.
* ``safety_screen`` - the screen answers on a fixed sample (the widget's fail-safe needs
  it). Not loading: ``degraded`` (Rasa still screens every message it gets).

No message text and no secret ever appears in the report: reasons name parts, error
types and counts.

:class:`RasaProbe` and :func:`combine` are also used by the Telegram bridge's webhook.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from bot.settings import Settings

__all__ = ["combine", "RasaProbe", "WebHealth", "HEALTH_KEY", "RASA_DOWN_REASON"]

_ORDER = ["ready", "degraded", "down"]

RASA_DOWN_REASON = "Rasa unreachable: the widget answers with its fail-safe"
_STORE_TIMEOUT = 2.0
_AUDIT_TIMEOUT = 3.0
_SCREEN_TIMEOUT = 2.0
_SCREEN_RETRY_SECONDS = 30.0


def combine(checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The worst status of the parts, with every part's reasons prefixed by its name."""
    status = max((c["status"] for c in checks.values()), key=_ORDER.index, default="ready")
    reasons = [f"{name}: {r}" for name, c in checks.items() for r in c.get("reasons", [])]
    return {"status": status, "reasons": reasons, "checks": checks}


def _where(url: str) -> str:
    """``host:port`` of a URL: never its path, query or any credentials in it."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0][:160] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class RasaProbe:
    """Can any Rasa replica be reached? ``GET {replica}/webhooks/health/`` on each.

    Replicas are probed concurrently with a short timeout; the answer is cached for
    ``cache_seconds`` and concurrent callers share one probe.
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        unreachable_reason: str,
        timeout: float = 1.0,
        cache_seconds: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        from bot.rasa_client import split_urls

        self.urls = split_urls(base_url)
        self.probes = 0  # how many times the replicas were actually asked (tests)
        self._unreachable_reason = unreachable_reason
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._lock: asyncio.Lock | None = None
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def check(self) -> dict[str, Any]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.monotonic()
            if self._cached and now - self._cached[0] < self._cache_seconds:
                return dict(self._cached[1])
            result = await self._probe_all()
            self._cached = (time.monotonic(), result)
            return dict(result)

    async def _probe_all(self) -> dict[str, Any]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        self.probes += 1
        failures = await asyncio.gather(*(self._probe(url) for url in self.urls))
        down = [f"{_where(url)} {why}" for url, why in zip(self.urls, failures, strict=True) if why]
        answering = len(self.urls) - len(down)
        result: dict[str, Any] = {"replicas": len(self.urls), "answering": answering}
        if answering == 0:
            result.update(status="degraded", reasons=[self._unreachable_reason, *down])
        elif down:
            result.update(
                status="degraded",
                reasons=[f"{len(down)} of {len(self.urls)} Rasa replicas not answering "
                         "(their conversations go to the others)", *down],
            )
        else:
            result.update(status="ready", reasons=[])
        return result

    async def _probe(self, url: str) -> str | None:
        assert self._client is not None
        try:
            reply = await self._client.get(f"{url}/webhooks/health/")
        except httpx.HTTPError as exc:
            return f"unreachable ({type(exc).__name__})"
        if reply.status_code != 200:
            return f"answered HTTP {reply.status_code}"
        return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class _StoreCheck:
    """A small engine of its own on the widget's database URL (read-only for SQLite,
    so a health check can never create the file with the wrong permissions)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: Any = None

    def _make_engine(self) -> Any:
        import sqlalchemy as sa
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        parsed = make_url(self._url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if not database or database == ":memory:":
                return sa.create_engine(parsed, future=True)
            # No pool: each check opens the file as it is now (a pooled connection would
            # keep reading a deleted or replaced file).
            ro = f"sqlite:///file:{database}?mode=ro&uri=true"
            return sa.create_engine(
                ro, future=True, poolclass=NullPool, connect_args={"timeout": _STORE_TIMEOUT}
            )
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = int(_STORE_TIMEOUT)
        return sa.create_engine(
            parsed, future=True, pool_pre_ping=True, pool_size=1, max_overflow=1,
            connect_args=connect_args,
        )  # fmt: skip

    def run(self) -> dict[str, Any]:
        import sqlalchemy as sa

        try:
            if self._engine is None:
                self._engine = self._make_engine()
            with self._engine.connect() as conn:
                conn.execute(sa.text("SELECT 1 FROM widget_conversations LIMIT 1")).all()
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            return {
                "status": "down",
                "reasons": [f"widget database unusable ({_first_line(exc)}): "
                            "the widget cannot keep conversations"],
            }
        return {"status": "ready", "reasons": []}

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class _ScreenCheck:
    """Does the safety screen answer? Once it has, it stays loaded (cached for good);
    a failure is tried again at most every half minute."""

    def __init__(self) -> None:
        self._ok = False
        self._failed_at: float | None = None
        self._failure = ""

    def run(self) -> dict[str, Any]:
        now = time.monotonic()
        if not self._ok and (
            self._failed_at is None or now - self._failed_at > _SCREEN_RETRY_SECONDS
        ):
            try:
                import safety

                safety.screen("hello", locale="en-GB")  # a fixed sample, never a patient's
                self._ok = True
            except Exception as exc:  # noqa: BLE001 - the failure is the report
                self._failed_at = now
                self._failure = type(exc).__name__
        if self._ok:
            return {"status": "ready", "reasons": []}
        return {
            "status": "degraded",
            "reasons": [f"safety screen failed to load ({self._failure}): "
                        "the widget's fail-safe cannot screen messages"],
        }


class WebHealth:
    def __init__(
        self, settings: Settings, rasa_transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        from bot.web.widget.store import db_url

        self.settings = settings
        self.rasa = RasaProbe(settings.rasa_url, RASA_DOWN_REASON, transport=rasa_transport)
        self._store = _StoreCheck(db_url(settings))
        self._screen = _ScreenCheck()

    async def _in_thread(self, name: str, fn: Any, limit: float, *args: Any) -> dict[str, Any]:
        try:
            return dict(await asyncio.wait_for(asyncio.to_thread(fn, *args), limit))
        except asyncio.TimeoutError:
            status = "down" if name == "widget_store" else "degraded"
            return {"status": status, "reasons": [f"no answer within {limit:.0f}s"]}
        except Exception as exc:  # noqa: BLE001 - the failure is the report
            return {"status": "degraded", "reasons": [f"check failed ({type(exc).__name__})"]}

    async def report(self) -> dict[str, Any]:
        from bot import audit

        store, audit_part, rasa, screen = await asyncio.gather(
            self._in_thread("widget_store", self._store.run, _STORE_TIMEOUT + 0.5),
            self._in_thread("audit", audit.health, _AUDIT_TIMEOUT, self.settings),
            self.rasa.check(),
            self._in_thread("safety_screen", self._screen.run, _SCREEN_TIMEOUT),
        )
        return combine(
            {"widget_store": store, "audit": audit_part, "rasa": rasa, "safety_screen": screen}
        )

    async def close(self) -> None:
        await self.rasa.aclose()
        await asyncio.to_thread(self._store.dispose)


HEALTH_KEY = web.AppKey("health", WebHealth)


async def healthz(request: web.Request) -> web.Response:
    result = await request.app[HEALTH_KEY].report()
    return web.json_response(result, status=503 if result["status"] == "down" else 200)


def setup(app: web.Application, settings: Settings) -> None:
    app[HEALTH_KEY] = WebHealth(settings)
    app.router.add_get("/healthz", healthz)

    async def close(app: web.Application) -> None:
        await app[HEALTH_KEY].close()

    # aiohttp 3.9 types Signal.append oddly; the handler has the documented signature.
    app.on_cleanup.append(close)  # type: ignore[arg-type]
