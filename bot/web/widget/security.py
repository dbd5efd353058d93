"""Security headers for the widget's routes and the CSRF check of its JSON API.

Headers are added in an ``on_response_prepare`` signal limited to the widget's paths, so
the clinician pages (``/audit/``), which share the app, keep their own policy.

CSRF: the API needs the cookie (SameSite=Strict, so a cross-site page cannot send it)
*and* a custom header, which a cross-site page cannot add without a CORS preflight that
this app never approves (no CORS headers anywhere). Origin and Sec-Fetch-Site, when the
browser sends them, must say same-origin as a third check.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

__all__ = ["add_security_headers", "csrf_problem", "CSRF_HEADER", "CSRF_VALUE", "is_widget_path"]

CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "mentallect-widget"

# No inline script or style anywhere (the widget sets no style attributes either), no
# third-party origin, not frameable.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # The page is about mental health: tell no other site where the patient came from.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # for browsers without frame-ancestors
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_PREFIXES = ("/widget/", "/api/chat/")


def is_widget_path(path: str) -> bool:
    return path == "/" or path.startswith(_PREFIXES)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if not is_widget_path(request.path):
        return
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/chat/"):
        # Conversation content is health data: never in a shared or browser cache.
        response.headers["Cache-Control"] = "no-store"


def csrf_problem(request: web.Request) -> str | None:
    """Why this API request must be refused, or None when it is acceptable."""
    if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
        return f"missing {CSRF_HEADER} header"
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return "cross-site request"
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        # Compare host:port only: behind a TLS-terminating proxy the scheme differs.
        if urlsplit(origin).netloc.lower() != (request.host or "").lower():
            return "cross-origin request"
    elif origin == "null":
        return "opaque origin"
    return None
