"""The action server with a health report: ``python -m bot.action_server --port N``.

It builds rasa_sdk's own Sanic app (``rasa_sdk.endpoint.create_app``) and runs it the
way ``python -m rasa_sdk`` does (same arguments, logging, plugins, workers), so
``/webhook``, ``/actions`` and ``/health`` (``{"status": "ok"}``) are unchanged. It adds
``GET /healthz``, in the shape of Rasa's ``/webhooks/health/``::

    {"status": "ready|degraded|down", "reasons": [...], "checks": {"actions": ..., "knowledge": ...}}

* ``actions``   - the actions this server registered. ``down`` if none; ``degraded`` if
  one the domain declares is missing (Rasa would get 404 for it and answer with a
  polite fallback).
* ``knowledge`` - the knowledge base (``actions.knowledge``) loads and has snippets in
  both languages. It is loaded before the server answers (the first question would
  load it anyway; ``bot.runner`` used to warm it up with a call), so the report never
  waits on it. ``down`` (HTTP 503) if it cannot load; ``degraded`` if a language has
  no snippets (questions in it get English or the fallback).

HTTP 200 for ready and degraded, 503 for down.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
import types
from pathlib import Path
from typing import Any

__all__ = ["build_app", "KnowledgeCheck", "declared_actions", "main"]

logger = logging.getLogger(__name__)

_LANGUAGES = ("en", "ru")
_RETRY_SECONDS = 30.0
_DOMAIN_DIR = Path(__file__).resolve().parents[1] / "domain"


def _combine(checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    # bot.rasa_health.combine imports Rasa (seconds, hundreds of MB); this is the same.
    order = ["ready", "degraded", "down"]
    status = max((c["status"] for c in checks.values()), key=order.index, default="ready")
    reasons = [f"{name}: {r}" for name, c in checks.items() for r in c.get("reasons", [])]
    return {"status": status, "reasons": reasons, "checks": checks}


def declared_actions(domain_dir: Path = _DOMAIN_DIR) -> set[str]:
    """The custom actions (``action_*``) the domain files list under ``actions:``."""
    import yaml

    names: set[str] = set()
    for path in sorted(domain_dir.glob("*.yml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for name in raw.get("actions") or [] if isinstance(raw, dict) else []:
            if isinstance(name, str) and name.startswith("action_"):
                names.add(name)
    return names


class KnowledgeCheck:
    """Loads the knowledge base once (``KnowledgeBase.load`` caches it for the actions
    too) and remembers the outcome. A failure is tried again at most every 30 s."""

    def __init__(self, knowledge_dir: Path | None = None) -> None:
        self._dir = knowledge_dir
        self._lock = threading.Lock()
        self._result: dict[str, Any] | None = None
        self._failed_at = 0.0

    def run(self) -> dict[str, Any]:
        with self._lock:
            stale = self._result is not None and self._result["status"] == "down" and (
                time.monotonic() - self._failed_at > _RETRY_SECONDS
            )
            if self._result is None or stale:
                self._result = self._load()
                if self._result["status"] == "down":
                    self._failed_at = time.monotonic()
            return dict(self._result)

    def _load(self) -> dict[str, Any]:
        try:
            from actions.knowledge import KnowledgeBase

            base = KnowledgeBase.load(self._dir)
        except Exception as exc:  # noqa: BLE001 - the failure is the report
            logger.error("the knowledge base failed to load (%s)", type(exc).__name__, exc_info=True)
            return {
                "status": "down",
                "reasons": [f"knowledge base failed to load ({type(exc).__name__}): "
                            "questions get the polite fallback"],
            }
        counts = {
            lang: sum(1 for s in base.snippets.values() if s.text.get(lang)) for lang in _LANGUAGES
        }
        missing = [lang for lang, n in counts.items() if n == 0]
        if missing:
            return {
                "status": "degraded",
                "reasons": [f"no knowledge snippets in {', '.join(missing)}"],
                "snippets": counts,
            }
        return {"status": "ready", "reasons": [], "snippets": counts}


def _registered_actions(app: Any) -> list[str]:
    """The names the app's executor registered, from rasa_sdk's own ``GET /actions``
    handler (the executor is local to ``create_app``)."""
    import json

    for route in app.router.routes:
        if route.path.strip("/") == "actions" and "GET" in route.methods:
            return [item["name"] for item in json.loads(_call_sync(route.handler))]
    return []


def _call_sync(handler: Any) -> bytes:
    # The handler awaits nothing: step its coroutine once instead of needing a loop
    # (build_app may be called from inside a running one).
    coroutine = handler(None)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return bytes(done.value.body)
    coroutine.close()
    raise RuntimeError("rasa_sdk's /actions handler did not finish at once")


def _actions_check(registered: list[str], declared: set[str]) -> dict[str, Any]:
    if not registered:
        return {"status": "down", "reasons": ["no actions registered"], "registered": []}
    missing = sorted(declared - set(registered))
    if missing:
        return {
            "status": "degraded",
            "reasons": [f"declared in the domain but not registered: {', '.join(missing)}"],
            "registered": sorted(registered),
        }
    return {"status": "ready", "reasons": [], "registered": sorted(registered)}


def build_app(
    action_package_name: str | types.ModuleType = "actions",
    cors_origins: str | list[str] | None = "*",
    auto_reload: bool = False,
    knowledge: KnowledgeCheck | None = None,
) -> Any:
    """rasa_sdk's app (``create_app``) plus ``GET /healthz``."""
    from rasa_sdk.endpoint import create_app
    from sanic import response

    app = create_app(action_package_name, cors_origins=cors_origins, auto_reload=auto_reload)
    check = knowledge or KnowledgeCheck()
    # Read once, before serving: the actions are registered by create_app and do not
    # change (auto-reload aside, which this project does not use).
    actions = _actions_check(_registered_actions(app), declared_actions())

    @app.listener("before_server_start")  # type: ignore[untyped-decorator]
    async def load_knowledge(app: Any, loop: Any) -> None:
        # Before the first request, off the event loop: /health answers once it is done.
        await loop.run_in_executor(None, check.run)

    @app.exception(Exception)  # type: ignore[untyped-decorator]
    async def exception_handler(request: Any, exception: Exception) -> Any:
        # Replaces rasa_sdk's handler, which echoes the request body (the tracker, with
        # the patient's messages) in its 500 reply, where Rasa may log it. Name the
        # error type and where it happened only: an exception's message can quote the text.
        import traceback

        frames = traceback.extract_tb(exception.__traceback__)
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-4:]))
        logger.error("action call failed: %s at %s", type(exception).__name__, where)
        return response.json({"error": type(exception).__name__}, status=500)

    @app.get("/healthz")  # type: ignore[untyped-decorator]
    async def healthz(request: Any) -> Any:
        import asyncio

        knowledge = await asyncio.get_running_loop().run_in_executor(None, check.run)
        result = _combine({"actions": dict(actions), "knowledge": knowledge})
        return response.json(result, status=503 if result["status"] == "down" else 200)

    return app


def _parser() -> argparse.ArgumentParser:
    from rasa_sdk.endpoint import create_argument_parser

    parser: argparse.ArgumentParser = create_argument_parser()
    parser.description = "starts the action server with a /healthz report"
    parser.set_defaults(actions="actions")
    return parser


def main(argv: list[str] | None = None) -> None:
    """What ``rasa_sdk.__main__.main_from_args`` and ``rasa_sdk.endpoint.run`` do, with
    :func:`build_app` in place of ``create_app``."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    args = _parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()

    logger.info("Starting action endpoint server...")
    app = build_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    protocol = "https" if ssl_context else "http"
    host = os.environ.get("SANIC_HOST", "0.0.0.0")  # noqa: S104 - as rasa_sdk does
    logger.info(f"Action endpoint is up and running on {protocol}://{host}:{args.port}")
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
