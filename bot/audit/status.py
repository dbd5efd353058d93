"""Is the audit trail being written? ready / degraded / down, with reasons and backlog.

In a process that runs the event broker (Rasa), the answer comes from its writer: it
knows whether the spool accepts records and whether the database took the last batch.
Elsewhere (the web app, the CLI) it looks at the spool directory and pings the
database, at most every few seconds.

* ready    - records reach the database;
* degraded - records are safe in the spool but not yet in the database (it is away,
             or a backlog is older than a few seconds), or something was quarantined;
* down     - records cannot be kept (spool not writable), or this process's writer died.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["health"]

_SETTLE_SECONDS = 5.0  # spool files younger than this are in flight, not a backlog
_CACHE_SECONDS = 3.0
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_engines: dict[str, Any] = {}
_lock = threading.Lock()

_ORDER = {"ready": 0, "degraded": 1, "down": 2}


def _combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    status = max((p["status"] for p in parts), key=_ORDER.__getitem__)
    return {
        "status": status,
        "reasons": [r for p in parts for r in p["reasons"]],
        "backlog": sum(int(p["backlog"]) for p in parts),
    }


def _stale_backlog(spool_dir: Path) -> tuple[int, int]:
    from bot.audit.spool import SUFFIX, _count_lines

    if not spool_dir.is_dir():
        return 0, 0
    now = time.time()
    waiting = 0
    for path in spool_dir.glob("*" + SUFFIX):
        try:
            if now - path.stat().st_mtime > _SETTLE_SECONDS:
                waiting += _count_lines(path)
        except FileNotFoundError:
            continue
    quarantine = spool_dir / "quarantine"
    return waiting, len(list(quarantine.glob("*"))) if quarantine.is_dir() else 0


def _ping(url: str) -> str | None:
    import sqlalchemy as sa

    from bot.audit.store import make_engine

    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT seq FROM audit_chain_head WHERE chain = 'record'"))
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"{type(exc).__name__}: {first[:160]}"
    return None


def _passive(settings: Any) -> dict[str, Any]:
    reasons: list[str] = []
    status = "ready"
    waiting, quarantined = _stale_backlog(settings.state_dir / "audit-spool")
    error = _ping(settings.audit_db_url)
    if error:
        status = "degraded"
        reasons.append(f"audit database unavailable ({error})")
    if waiting:
        status = "degraded"
        reasons.append(f"{waiting} records waiting in the spool")
    if quarantined:
        status = "degraded"
        reasons.append(f"{quarantined} unreadable spool segment(s) quarantined")
    return {"status": status, "reasons": reasons, "backlog": waiting}


def health(settings: Any = None) -> dict[str, Any]:
    from bot.audit.writer import live_writers

    writers = live_writers()
    if writers:
        return _combine([w.health() for w in writers])
    if settings is None:
        from bot import settings as settings_mod

        settings = settings_mod.load()
    key = f"{settings.audit_db_url}|{settings.state_dir}"
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit and now - hit[0] < _CACHE_SECONDS:
        return dict(hit[1])
    result = _passive(settings)
    with _lock:
        _cache[key] = (now, result)
    return dict(result)
