"""Per-app state and the middlewares of the /audit/ pages."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import sqlalchemy.exc
from aiohttp import web

from bot.audit import access_log
from bot.audit.store import AuditStore, open_store
from bot.audit.web import auth

__all__ = [
    "STATE",
    "AuditWeb",
    "render",
    "log",
    "requires",
    "current",
    "guarded",
]

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATE: web.AppKey[AuditWeb] = web.AppKey("audit_web")
USER_KEY = "audit_session"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class StoreUnavailable(Exception):
    pass


class AuditWeb:
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.store: AuditStore | None = None
        self.limiter = auth.LoginLimiter()
        self._open_lock = asyncio.Lock()
        self.css = (HERE / "style.css").read_text(encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(self.css.encode("utf-8")).digest()).decode("ascii")
        self.csp = (
            "default-src 'none'; "
            f"style-src 'sha256-{digest}'; "
            "img-src 'self' data:; "
            "form-action 'self'; "
            "frame-ancestors 'none'; "
            "base-uri 'none'"
        )
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=True,  # every template: patient text is never markup
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    async def get_store(self) -> AuditStore:
        if self.store is not None:
            return self.store
        async with self._open_lock:
            if self.store is None:
                try:
                    self.store = await asyncio.to_thread(
                        open_store, self.settings.audit_db_url, settings=self.settings
                    )
                except Exception as exc:
                    logger.error(
                        "audit pages: cannot open the audit database (%s)", type(exc).__name__
                    )
                    raise StoreUnavailable() from exc
        return self.store

    async def close(self) -> None:
        if self.store is not None:
            await asyncio.to_thread(self.store.close)
            self.store = None


def state(request: web.Request) -> AuditWeb:
    return request.app[STATE]


def current(request: web.Request) -> auth.Session:
    return request[USER_KEY]


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type="text/plain")


def _decorate(response: web.StreamResponse, st: AuditWeb) -> None:
    if response.prepared:
        return
    h = response.headers
    h["Content-Security-Policy"] = st.csp
    h["X-Content-Type-Options"] = "nosniff"
    h["X-Frame-Options"] = "DENY"
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" on
    # form posts, which would blind the cross-origin check. URLs (with their filters)
    # still never leave the site.
    h["Referrer-Policy"] = "same-origin"
    h["Cache-Control"] = "no-store"  # health data must not sit in browser or proxy caches
    h["Pragma"] = "no-cache"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"


def guarded(handler: Handler, *, public: bool = False) -> Handler:
    """Wrap a page handler: security headers on every answer, sign-in and CSRF checks first.

    A wrapper rather than app middlewares (or a sub-application): the routes live on
    the shared port-8080 app, and the widget's requests must not pass through here.
    """

    @functools.wraps(handler)
    async def inner(request: web.Request) -> web.StreamResponse:
        st = state(request)
        try:
            response = await _authenticate(request, handler, public)
        except web.HTTPException as exc:
            _decorate(exc, st)
            raise
        _decorate(response, st)
        return response

    return inner


async def _authenticate(request: web.Request, handler: Handler, public: bool) -> web.StreamResponse:
    """Nothing but the sign-in page without a session; CSRF on every POST."""
    st = state(request)
    try:
        store = await st.get_store()
    except StoreUnavailable:
        return _plain(
            503, "The audit database is unavailable. Nothing can be shown; try again shortly."
        )
    token = request.cookies.get(auth.SESSION_COOKIE)
    session, expired = await asyncio.to_thread(
        auth.load_session, store, token, st.settings.audit_idle_minutes
    )
    request["audit_expired"] = expired
    if session is None and not public:
        if request.method in ("GET", "HEAD"):
            target = "/audit/login?next=" + quote(auth.safe_next(request.path_qs), safe="")
            if expired:
                target += "&idle=1"
            raise web.HTTPSeeOther(target)
        return _plain(401, "Sign in first.")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        why = auth.check_origin(request)
        if why is None:
            form = await request.post()
            given = form.get("csrf_token")
            expected = (
                session.csrf_token if session else request.cookies.get(auth.LOGIN_CSRF_COOKIE)
            )
            if not auth.csrf_ok(expected, given if isinstance(given, str) else None):
                why = "missing or wrong CSRF token"
        if why is not None:
            who = session.username if session else "anonymous"
            await log(
                request,
                "security",
                "csrf-refused",
                "E",
                outcome="minor",
                who=who,
                detail={"why": why, "path": request.path},
            )
            return _plain(403, f"Refused: {why}. Reload the page and try again.")
    if session is not None:
        request[USER_KEY] = session
    try:
        return await handler(request)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        logger.error("audit pages: database error (%s)", type(exc).__name__)
        return _plain(
            503,
            "The audit database is unavailable. Nothing was shown or changed; try again shortly.",
        )


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    st = state(request)
    session: auth.Session | None = request.get(USER_KEY)
    html = st.templates.get_template(template).render(
        css=st.css,
        user=session,
        csrf=session.csrf_token if session else "",
        idle_minutes=st.settings.audit_idle_minutes,
        path=request.path,
        **context,
    )
    return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")


async def log(
    request: web.Request,
    type_key: str,
    subtype: str,
    action: str,
    *,
    outcome: str = "success",
    who: str | None = None,
    what: str | None = None,
    query: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an access. Raises if it cannot be written: then nothing is shown (fail closed)."""
    st = state(request)
    session: auth.Session | None = request.get(USER_KEY)
    event = access_log.make(
        type_key,
        subtype,
        action,
        who=who or (session.username if session else "anonymous"),
        role=session.role if session else None,
        address=request.remote,
        source=access_log.WEB_SOURCE,
        outcome=outcome,
        what=what,
        query=query,
        detail=detail,
    )
    store = await st.get_store()
    await asyncio.to_thread(store.log_access, [event])


def requires(role: str) -> Callable[[Handler], Handler]:
    """Refuse (403, and log it) unless the signed-in user has at least ``role``."""
    from bot.audit.users import has_role

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def inner(request: web.Request) -> web.StreamResponse:
            session = current(request)
            if not has_role(session.role, role):
                await log(
                    request,
                    "security",
                    "forbidden",
                    "E",
                    outcome="minor",
                    detail={"path": request.path, "needs": role},
                )
                return render(
                    request,
                    "error.html",
                    status=403,
                    title="Not allowed",
                    message=f"This needs the {role.replace('_', ' ')} role.",
                )
            return await handler(request)

        return inner

    return wrap
