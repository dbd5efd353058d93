"""Clinician pages under /audit/ on the shared port-8080 app.

``setup(app, settings)`` adds the /audit/ routes to the app; each handler is wrapped
(security headers, sign-in, CSRF) so nothing here touches the widget's requests.
Pages are plain HTML from Jinja2 templates (autoescape on), with no JavaScript.

Not a sub-application: with the pinned aiohttp 3.9.5 and yarl 1.25, resolving a
sub-application's prefix reads ``request.url``, which fails for any Host header with
a port. Plain routes do not.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["setup"]


def setup(app: web.Application, settings: Any) -> None:
    from bot.audit.web import views
    from bot.audit.web.state import STATE, AuditWeb

    app[STATE] = AuditWeb(settings)
    app.on_startup.append(views.on_startup)
    app.on_cleanup.append(views.on_cleanup)
    views.add_routes(app)
