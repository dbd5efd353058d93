"""Every setting the runtime reads from the environment, in one place.

Nothing here is read at import time: call :func:`load` (cheap) where a setting is
needed, so tests can set environment variables per test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"error: {name} must be a whole number, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"error: {name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    rasa_port: int
    action_port: int
    web_port: int
    rasa_url: str
    action_url: str
    rasa_auth_token: str
    tracker_db_url: str
    audit_db_url: str
    lock_store_url: str
    default_region: str
    default_lang: str
    telegram_token: str
    telegram_api_url: str
    telegram_webhook_secret: str
    web_secret: str
    rasa_timeout_seconds: float
    # Clinician audit (bot.audit). Defaults keep older callers that build Settings by hand working.
    audit_master_key: str = ""  # base64/hex 32-byte key; empty = key file under state_dir
    audit_retention: str = ""  # e.g. "message=365,safety=2920,note=2920,access=2190" (days, 0 = keep)
    audit_idle_minutes: int = 15  # clinician pages: sign out after this much inactivity
    # Telegram bridge (bot.channels.telegram).
    telegram_webhook_listen: str = "127.0.0.1:8443"  # host:port of the --webhook receiver
    telegram_rate_limit: int = 8  # messages per chat per window; crisis messages are never limited
    telegram_rate_window_seconds: float = 30.0
    # Web widget (bot.web.widget). Empty web_db_url = sqlite file web.db under state_dir, derived
    # where it is used so a Settings copied with another state_dir (tests) follows it.
    web_db_url: str = ""
    web_retention_days: int = 30  # widget transcripts (display copy) are purged after this; 0 = keep

    @property
    def models_dir(self) -> Path:
        return self.state_dir / "models"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "rasa-cache"


# Defaults of the production profile (BOT_PROFILE=production or `run --profile production`):
# the shared stores several replicas need. Set the URLs explicitly for a real deployment;
# these point at the local PostgreSQL and Redis for trials on one machine.
PRODUCTION_DEFAULTS = {
    "TRACKER_DB_URL": "postgresql://postgres@127.0.0.1:5432/test",
    "AUDIT_DB_URL": "postgresql://postgres@127.0.0.1:5432/test",
    "LOCK_STORE_URL": "redis://127.0.0.1:6379/1",
}
PROFILES = ("local", "production")


def profile() -> str:
    name = _env("BOT_PROFILE", "local").lower()
    if name not in PROFILES:
        raise SystemExit(f"error: BOT_PROFILE must be one of {', '.join(PROFILES)}, got {name!r}")
    return name


def load() -> Settings:
    state_dir = Path(_env("BOT_STATE_DIR", str(PROJECT_ROOT / "var"))).resolve()
    rasa_port = _int("RASA_PORT", 5005)
    action_port = _int("ACTION_PORT", 5055)
    production = profile() == "production"

    def store(name: str, local_default: str) -> str:
        return _env(name, PRODUCTION_DEFAULTS[name] if production else local_default)

    return Settings(
        state_dir=state_dir,
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=_int("WEB_PORT", 8080),
        rasa_url=_env("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
        action_url=_env("ACTION_URL", f"http://127.0.0.1:{action_port}/webhook"),
        rasa_auth_token=os.environ.get("RASA_AUTH_TOKEN", "").strip(),
        tracker_db_url=store("TRACKER_DB_URL", f"sqlite:///{state_dir / 'tracker.db'}"),
        audit_db_url=store("AUDIT_DB_URL", f"sqlite:///{state_dir / 'audit.db'}"),
        lock_store_url=store("LOCK_STORE_URL", ""),
        default_region=_env("BOT_DEFAULT_REGION", "UK").upper(),
        default_lang=_env("BOT_DEFAULT_LANG", "en").lower(),
        telegram_token=os.environ.get("TELEGRAM_BOT_TOKEN", "").strip(),
        telegram_api_url=_env("TELEGRAM_API_URL", "https://api.telegram.org/bot"),
        telegram_webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip(),
        web_secret=os.environ.get("WEB_SECRET", "").strip(),
        rasa_timeout_seconds=float(_env("RASA_TIMEOUT_SECONDS", "5")),
        audit_master_key=os.environ.get("AUDIT_MASTER_KEY", "").strip(),
        audit_retention=os.environ.get("AUDIT_RETENTION", "").strip(),
        audit_idle_minutes=_int("AUDIT_IDLE_MINUTES", 15),
        web_db_url=os.environ.get("WEB_DB_URL", "").strip(),
        web_retention_days=_int("WEB_RETENTION_DAYS", 30),
        telegram_webhook_listen=_env("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1:8443"),
        telegram_rate_limit=_int("TELEGRAM_RATE_LIMIT", 8),
        telegram_rate_window_seconds=_float("TELEGRAM_RATE_WINDOW_SECONDS", 30.0),
    )


def to_env(settings: Settings) -> dict[str, str]:
    """Environment variables that make a child process load the same settings."""
    env = {
        "BOT_STATE_DIR": str(settings.state_dir),
        "RASA_PORT": str(settings.rasa_port),
        "ACTION_PORT": str(settings.action_port),
        "WEB_PORT": str(settings.web_port),
        "RASA_URL": settings.rasa_url,
        "ACTION_URL": settings.action_url,
        "TRACKER_DB_URL": settings.tracker_db_url,
        "AUDIT_DB_URL": settings.audit_db_url,
        "LOCK_STORE_URL": settings.lock_store_url,
        "BOT_DEFAULT_REGION": settings.default_region,
        "BOT_DEFAULT_LANG": settings.default_lang,
        "RASA_AUTH_TOKEN": settings.rasa_auth_token,
        "TELEGRAM_BOT_TOKEN": settings.telegram_token,
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "TELEGRAM_WEBHOOK_SECRET": settings.telegram_webhook_secret,
        "WEB_SECRET": settings.web_secret,
        "RASA_TIMEOUT_SECONDS": str(settings.rasa_timeout_seconds),
        "AUDIT_MASTER_KEY": settings.audit_master_key,
        "AUDIT_RETENTION": settings.audit_retention,
        "AUDIT_IDLE_MINUTES": str(settings.audit_idle_minutes),
        "WEB_DB_URL": settings.web_db_url,
        "WEB_RETENTION_DAYS": str(settings.web_retention_days),
        "TELEGRAM_WEBHOOK_LISTEN": settings.telegram_webhook_listen,
        "TELEGRAM_RATE_LIMIT": str(settings.telegram_rate_limit),
        "TELEGRAM_RATE_WINDOW_SECONDS": str(settings.telegram_rate_window_seconds),
    }
    return env
