"""Build the aiohttp application served on port 8080.

The widget (``bot.web.widget``) and the clinician pages (``bot.audit.web``) each
register their own routes through a ``setup(app, settings)`` function, so the two
features can grow without touching each other.
"""

from __future__ import annotations

from aiohttp import web

from bot.settings import Settings

__all__ = ["create_app"]

SETTINGS_KEY = web.AppKey("settings", Settings)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[SETTINGS_KEY] = settings
    # Imported here, not at module level, so a missing optional feature fails loudly
    # at start-up with its own traceback rather than at import of this module.
    from bot.web import widget

    widget.setup(app, settings)
    try:
        from bot.audit import web as audit_web
    except ImportError:  # the audit pages land in their own change
        audit_web = None
    if audit_web is not None:
        audit_web.setup(app, settings)
    return app
