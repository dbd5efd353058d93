"""Build the aiohttp application served on port 8080.

The widget (``bot.web.widget``) and the clinician pages (``bot.audit.web``) each
register their own routes through a ``setup(app, settings)`` function, so the two
features can grow without touching each other. ``/healthz`` (``bot.web.health``) says
ready / degraded / down and why: the widget's database, the audit record, Rasa and the
safety screen.
"""

from __future__ import annotations

from aiohttp import web

from bot.settings import Settings

__all__ = ["create_app", "SETTINGS_KEY"]

SETTINGS_KEY = web.AppKey("settings", Settings)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[SETTINGS_KEY] = settings
    # Imported here, not at module level: nothing at import time but definitions.
    from bot.web import health, widget

    health.setup(app, settings)
    widget.setup(app, settings)
    try:
        from bot.audit import web as audit_web
    except ImportError:  # until the audit pages land
        audit_web = None
    if audit_web is not None:
        audit_web.setup(app, settings)
    return app
