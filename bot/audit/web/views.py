"""Request handlers of the /audit/ pages.

Every page that shows patient data records the access first and shows nothing if that
record cannot be written. Text is redacted on every page; a safety officer can reveal
one conversation in full by giving a reason, which is logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.audit import derive, export, queries, retention, review, users
from bot.audit.erasure import channel_erasers, erase_sender
from bot.audit.models import LEVELS
from bot.audit.redact import redact
from bot.audit.web import auth
from bot.audit.web.chart import weekly_svg
from bot.audit.web.state import (
    STATE,
    StoreUnavailable,
    current,
    guarded,
    log,
    render,
    requires,
    state,
)

__all__ = ["add_routes", "on_startup", "on_cleanup", "redirect_to_root", "route_table"]

logger = logging.getLogger(__name__)

_SUBJECT = re.compile(r"^[0-9a-f]{32}$")
_MIN_REASON = 5


async def on_startup(app: web.Application) -> None:
    try:
        await app[STATE].get_store()
    except StoreUnavailable:
        # The widget must still start; the pages answer 503 until the database is back.
        logger.error("audit pages: starting without the audit database")


async def on_cleanup(app: web.Application) -> None:
    await app[STATE].close()


async def redirect_to_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently("/audit/")


def _bad(request: web.Request, message: str, status: int = 400) -> web.Response:
    return render(request, "error.html", status=status, title="Cannot do that", message=message)


def _page(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 100_000))
    except ValueError:
        return 1


def _reason(form: Any) -> str | None:
    text = str(form.get("reason") or "").strip()
    return text if len(text) >= _MIN_REASON else None


async def _store(request: web.Request) -> Any:
    return await state(request).get_store()


# -- sign-in ---------------------------------------------------------------------------


async def login_form(request: web.Request) -> web.StreamResponse:
    if request.get("audit_session") is not None:
        raise web.HTTPSeeOther(auth.safe_next(request.query.get("next")))
    return _login_page(request, error=None)


def _login_page(
    request: web.Request, error: str | None, status: int = 200, username: str = ""
) -> web.Response:
    token = secrets.token_urlsafe(32)
    idle = request.query.get("idle") == "1" or request.get("audit_expired", False)
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        next=auth.safe_next(request.query.get("next") or None),
        error=error,
        idle=idle,
        username=username,
    )
    auth.set_cookie(response, request, auth.LOGIN_CSRF_COOKIE, token)
    return response


async def login_submit(request: web.Request) -> web.StreamResponse:
    st = state(request)
    store = await _store(request)
    form = await request.post()
    username = str(form.get("username") or "").strip().lower()[:64]
    password = str(form.get("password") or "")
    address = request.remote or "unknown"
    wait = st.limiter.blocked(address, username)
    if wait > 0:
        await log(
            request,
            "auth",
            "login",
            "E",
            outcome="minor",
            who=username or "anonymous",
            detail={"refused": "rate limit"},
        )
        minutes = int(wait // 60) + 1
        return _login_page(
            request,
            f"Too many failed sign-ins. Try again in {minutes} minute(s).",
            status=429,
            username=username,
        )
    user = await asyncio.to_thread(users.authenticate, store, username, password)
    if user is None:
        st.limiter.failed(address, username)
        await log(
            request,
            "auth",
            "login",
            "E",
            outcome="minor",
            who=username or "anonymous",
            detail={"refused": "wrong name or password"},
        )
        return _login_page(
            request,
            "Wrong name or password, or the account is disabled.",
            status=401,
            username=username,
        )
    st.limiter.succeeded(address, username)
    token, _csrf = await asyncio.to_thread(
        auth.create_session, store, user.username, request.remote
    )
    await log(request, "auth", "login", "E", who=user.username, detail={"role": user.role})
    response = web.HTTPSeeOther(auth.safe_next(str(form.get("next") or "") or None))
    auth.set_cookie(response, request, auth.SESSION_COOKIE, token)
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path=auth.COOKIE_PATH)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    token = request.cookies.get(auth.SESSION_COOKIE)
    await log(request, "auth", "logout", "E")
    if token:
        await asyncio.to_thread(auth.delete_session, store, token)
    response = web.HTTPSeeOther("/audit/login")
    response.del_cookie(auth.SESSION_COOKIE, path=auth.COOKIE_PATH)
    raise response


async def root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/audit/conversations")


# -- conversations -------------------------------------------------------------------------


async def conversations(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    try:
        f = queries.parse_filter(request.query)
    except queries.FilterError as exc:
        return render(request, "conversations.html", status=400, error=str(exc), f=queries.Filter(), params={}, page=None,
                      levels=(*LEVELS, "unscreened"), statuses=derive.STATUSES, export_qs="", page_qs="")  # fmt: skip
    page = await asyncio.to_thread(queries.list_conversations, store, f, _page(request))
    await log(
        request,
        "query",
        "search",
        "E",
        what="Conversation",
        query=f.for_log(),
        detail={"results": page.total, "page": page.page},
    )
    params = f.as_params()
    for item in page.items:
        item["last"] = queries.iso(item["last_us"])
        item["first"] = queries.iso(item["first_us"])
    return render(
        request,
        "conversations.html",
        error=None,
        f=f,
        params=params,
        page=page,
        levels=(*LEVELS, "unscreened"),
        statuses=derive.STATUSES,
        export_qs=urlencode(params),
        page_qs=urlencode({k: v for k, v in params.items()}),
    )


def _display(entry: dict[str, Any], reveal: bool) -> dict[str, Any]:
    e = dict(entry)
    bot = e["kind"] == "bot"
    if not reveal:
        if e["text"] is not None:
            e["text"] = redact(e["text"], keep_helplines=bot)
        if e["note"] is not None:
            e["note"] = redact(e["note"])
        e["matched"] = [redact(m) if isinstance(m, str) else m for m in e["matched"]]
    keys = ("detector", "rule", "level", "span", "score")
    e["reasons"] = [
        {
            **{k: r.get(k) for k in keys},
            "matched": e["matched"][i] if i < len(e["matched"]) else None,
        }
        for i, r in enumerate(e["reasons"])
    ]
    return e


async def _transcript(
    request: web.Request, sid: str, *, reveal: bool, reason: str | None = None
) -> web.StreamResponse:
    store = await _store(request)
    if not _SUBJECT.match(sid):
        return _bad(request, "No such conversation.", 404)
    t = await asyncio.to_thread(queries.transcript, store, sid)
    if t is None:
        return _bad(request, "No such conversation.", 404)
    detail: dict[str, Any] = {"unredacted": reveal}
    if reason:
        detail["reason"] = redact(reason)[:500]
    await log(
        request,
        "read",
        "reveal" if reveal else "read",
        "R",
        what=f"Conversation/{sid}",
        detail=detail,
    )
    session = current(request)
    conv = t.conversation
    return render(
        request,
        "transcript.html",
        sid=sid,
        conv=conv,
        sender=t.sender_id,
        entries=[_display(e, reveal) for e in t.entries],
        reveal=reveal,
        transitions=derive.TRANSITIONS.get(conv["status"], ()),
        can_confirm=users.has_role(session.role, "safety_officer"),
        can_reveal=users.has_role(session.role, "safety_officer"),
        can_hold=users.has_role(session.role, "admin"),
        first=queries.iso(conv["first_us"]),
        last=queries.iso(conv["last_us"]),
        done=request.query.get("done", "") if request.query.get("done", "") in _DONE else "",
        done_text=_DONE.get(request.query.get("done", ""), ""),
    )


_DONE = {
    "reviewed": "Marked reviewed.",
    "flagged": "Flagged.",
    "resolved": "Marked resolved.",
    "note": "Note added.",
    "hold": "Legal hold placed.",
    "release": "Legal hold released.",
    "confirmed": "Safety event confirmed as a true alarm.",
    "false_alarm": "Safety event marked as a false alarm.",
}


async def transcript(request: web.Request) -> web.StreamResponse:
    return await _transcript(request, request.match_info["sid"], reveal=False)


@requires("safety_officer")
async def reveal(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    reason = _reason(form)
    if reason is None:
        return _bad(
            request,
            f"Give a reason of at least {_MIN_REASON} characters to see the unredacted text.",
        )
    return await _transcript(request, request.match_info["sid"], reveal=True, reason=reason)


async def _act(request: web.Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    session = current(request)
    store = await _store(request)
    return await asyncio.to_thread(
        fn,
        store,
        *args,
        actor=session.username,
        role=session.role,
        source="bot-audit-web",
        address=request.remote,
        **kwargs,
    )


async def set_status(request: web.Request) -> web.StreamResponse:
    sid = request.match_info["sid"]
    form = await request.post()
    to = str(form.get("to") or "")
    try:
        await _act(request, review.change_status, sid, to, note=str(form.get("note") or "") or None)
    except review.ReviewError as exc:
        return _bad(request, str(exc))
    raise web.HTTPSeeOther(f"/audit/conversations/{sid}?done={to}")


async def add_note(request: web.Request) -> web.StreamResponse:
    sid = request.match_info["sid"]
    form = await request.post()
    try:
        await _act(request, review.add_note, sid, str(form.get("note") or ""))
    except review.ReviewError as exc:
        return _bad(request, str(exc))
    raise web.HTTPSeeOther(f"/audit/conversations/{sid}?done=note#notes")


@requires("admin")
async def set_hold(request: web.Request) -> web.StreamResponse:
    sid = request.match_info["sid"]
    form = await request.post()
    hold = form.get("hold") == "on"
    try:
        await _act(request, review.set_legal_hold, sid, hold, str(form.get("reason") or ""))
    except review.ReviewError as exc:
        return _bad(request, str(exc))
    raise web.HTTPSeeOther(f"/audit/conversations/{sid}?done={'hold' if hold else 'release'}")


# -- safety register ------------------------------------------------------------------------


async def safety(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    q = request.query
    try:
        date_from = queries.parse_date(q["from"], "from") if q.get("from") else None
        date_to = queries.parse_date(q["to"], "to") if q.get("to") else None
    except queries.FilterError as exc:
        return _bad(request, str(exc))
    level = q.get("level") if q.get("level") in derive.SAFETY_LEVELS else None
    confirmation = (
        q.get("confirmation")
        if q.get("confirmation") in (*derive.CONFIRMATIONS, "pending")
        else None
    )
    page = await asyncio.to_thread(
        queries.safety_events,
        store,
        date_from=date_from,
        date_to=date_to,
        level=level,
        confirmation=confirmation,
        page=_page(request),
    )
    weeks = await asyncio.to_thread(queries.weekly_counts, store, 12)
    params = {
        k: v
        for k, v in {
            "from": q.get("from", ""),
            "to": q.get("to", ""),
            "level": level or "",
            "confirmation": confirmation or "",
        }.items()
        if v
    }
    await log(
        request,
        "query",
        "safety-register",
        "E",
        what="AuditRecord",
        query=params,
        detail={"results": page.total},
    )
    return render(
        request,
        "safety.html",
        page=page,
        params=params,
        chart=weekly_svg(weeks),
        weeks=weeks,
        page_qs=urlencode(params),
        can_confirm=users.has_role(current(request).role, "safety_officer"),
    )


@requires("safety_officer")
async def confirm(request: web.Request) -> web.StreamResponse:
    try:
        seq = int(request.match_info["seq"])
    except ValueError:
        return _bad(request, "No such safety event.", 404)
    form = await request.post()
    verdict = str(form.get("verdict") or "")
    try:
        await _act(
            request,
            review.confirm_safety_event,
            seq,
            verdict,
            note=str(form.get("note") or "") or None,
        )
    except review.ReviewError as exc:
        return _bad(request, str(exc))
    back = auth.safe_next(str(form.get("back") or "") or "/audit/safety")
    sep = "&" if "?" in back else "?"
    anchor = ""
    if "#" in back:
        back, anchor = back.split("#", 1)
        anchor = "#" + anchor
    raise web.HTTPSeeOther(
        f"{back}{sep}done={verdict}{anchor}" if back.startswith("/audit/conversations/") else back
    )


# -- export ----------------------------------------------------------------------------------


async def _export(
    request: web.Request, params: Any, fmt: str, *, unredacted: bool, reason: str | None
) -> web.StreamResponse:
    store = await _store(request)
    if fmt not in export.FORMATS:
        return _bad(request, "Choose csv or jsonl.")
    try:
        f = queries.parse_filter(params)
    except queries.FilterError as exc:
        return _bad(request, str(exc))

    def build() -> tuple[str, int]:
        buf = io.StringIO(newline="")
        count = export.write(export.rows(store, f, unredacted=unredacted), buf, fmt)
        return buf.getvalue(), count

    body, count = await asyncio.to_thread(build)
    detail: dict[str, Any] = {"format": fmt, "rows": count, "redacted": not unredacted}
    if reason:
        detail["reason"] = redact(reason)[:500]
    await log(
        request,
        "export",
        "export-unredacted" if unredacted else "export",
        "R",
        what="Conversation",
        query=f.for_log(),
        detail=detail,
    )
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = f"audit-export-{stamp}{'-UNREDACTED' if unredacted else ''}.{fmt}"
    ctype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return web.Response(
        body=body.encode("utf-8"),
        headers={
            "Content-Type": f"{ctype}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


async def export_redacted(request: web.Request) -> web.StreamResponse:
    return await _export(
        request, request.query, request.query.get("format", ""), unredacted=False, reason=None
    )


@requires("safety_officer")
async def export_unredacted(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    reason = _reason(form)
    if reason is None:
        return _bad(
            request, f"Give a reason of at least {_MIN_REASON} characters for an unredacted export."
        )
    params = {k: str(form.get(k) or "") for k in ("from", "to", "channel", "level", "status", "q")}
    return await _export(
        request, params, str(form.get("format") or ""), unredacted=True, reason=reason
    )


# -- admin -------------------------------------------------------------------------------------


@requires("admin")
async def access(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    page = await asyncio.to_thread(queries.access_entries, store, _page(request))
    await log(request, "read", "access-log", "R", what="AuditEvent", detail={"page": page.page})
    return render(request, "access.html", page=page)


@requires("admin")
async def users_page(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    rows = await asyncio.to_thread(users.list_users, store)
    await log(request, "read", "users", "R", what="User")
    return render(
        request,
        "users.html",
        users=[dict(u.__dict__, last=queries.iso(u.last_login_us)) for u in rows],
        roles=users.ROLES,
        error=None,
    )


@requires("admin")
async def users_add(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    form = await request.post()
    session = current(request)
    try:
        await asyncio.to_thread(
            users.add_user, store, str(form.get("username") or ""), str(form.get("password") or ""), str(form.get("role") or ""),
            actor=session.username, source="bot-audit-web", address=request.remote,
        )  # fmt: skip
    except users.UserError as exc:
        return _bad(request, str(exc))
    raise web.HTTPSeeOther("/audit/users")


@requires("admin")
async def users_toggle(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    session = current(request)
    name = request.match_info["name"]
    disable = request.match_info["action"] == "disable"
    if disable and name == session.username:
        return _bad(request, "You cannot disable your own account here.")
    try:
        await asyncio.to_thread(
            users.set_disabled,
            store,
            name,
            disable,
            actor=session.username,
            source="bot-audit-web",
            address=request.remote,
        )
    except users.UserError as exc:
        return _bad(request, str(exc))
    raise web.HTTPSeeOther("/audit/users")


@requires("admin")
async def retention_page(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    session = current(request)
    try:
        policy = retention.parse_policy(state(request).settings.audit_retention)
    except ValueError as exc:
        return _bad(request, str(exc))
    summary = await asyncio.to_thread(
        retention.purge, store, policy, actor=session.username, source="bot-audit-web", dry_run=True
    )
    await log(
        request,
        "admin",
        "purge-preview",
        "R",
        detail={"records": summary["records"], "access_rows": summary["access_rows"]},
    )
    return render(request, "retention.html", policy=policy, summary=summary, done=False)


@requires("admin")
async def retention_run(request: web.Request) -> web.StreamResponse:
    store = await _store(request)
    session = current(request)
    try:
        policy = retention.parse_policy(state(request).settings.audit_retention)
    except ValueError as exc:
        return _bad(request, str(exc))
    summary = await asyncio.to_thread(
        retention.purge, store, policy, actor=session.username, source="bot-audit-web"
    )
    return render(request, "retention.html", policy=policy, summary=summary, done=True)


@requires("admin")
async def erase(request: web.Request) -> web.StreamResponse:
    """Erasure from the pages (admin): same path as the CLI and Telegram's /forget."""
    store = await _store(request)
    session = current(request)
    form = await request.post()
    sid = request.match_info["sid"]
    reason = _reason(form)
    if reason is None:
        return _bad(request, f"Give a reason of at least {_MIN_REASON} characters for the erasure.")
    t = await asyncio.to_thread(queries.transcript, store, sid) if _SUBJECT.match(sid) else None
    if t is None or t.sender_id is None:
        return _bad(request, "No such conversation, or it was erased already.", 404)
    if str(form.get("confirm_sender") or "").strip() != t.sender_id:
        return _bad(request, "Type the sender id exactly to confirm the erasure.")
    result = await asyncio.to_thread(
        erase_sender, store, t.sender_id, actor=session.username, source="bot-audit-web", via="web", reason=reason,
        tracker_db_url=state(request).settings.tracker_db_url, address=request.remote,
        channel_erasers=channel_erasers(state(request).settings),
    )  # fmt: skip
    if result.status == "held":
        return _bad(
            request, "This conversation is under legal hold; release the hold before erasing."
        )
    raise web.HTTPSeeOther(f"/audit/conversations/{sid}")


async def not_found(request: web.Request) -> web.StreamResponse:
    return _bad(request, "There is no such page.", 404)


_ROUTES: tuple[tuple[str, str, Any, bool], ...] = (
    ("GET", "/audit/", root, False),
    ("GET", "/audit/login", login_form, True),
    ("POST", "/audit/login", login_submit, True),
    ("POST", "/audit/logout", logout, False),
    ("GET", "/audit/conversations", conversations, False),
    ("GET", "/audit/conversations/{sid}", transcript, False),
    ("POST", "/audit/conversations/{sid}/reveal", reveal, False),
    ("POST", "/audit/conversations/{sid}/status", set_status, False),
    ("POST", "/audit/conversations/{sid}/notes", add_note, False),
    ("POST", "/audit/conversations/{sid}/hold", set_hold, False),
    ("POST", "/audit/conversations/{sid}/erase", erase, False),
    ("GET", "/audit/safety", safety, False),
    ("POST", "/audit/safety/{seq}/confirm", confirm, False),
    ("GET", "/audit/export", export_redacted, False),
    ("POST", "/audit/export", export_unredacted, False),
    ("GET", "/audit/access", access, False),
    ("GET", "/audit/users", users_page, False),
    ("POST", "/audit/users", users_add, False),
    ("POST", "/audit/users/{name}/{action:(disable|enable)}", users_toggle, False),
    ("GET", "/audit/retention", retention_page, False),
    ("POST", "/audit/retention", retention_run, False),
)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/audit", redirect_to_root)
    for method, path, handler, public in _ROUTES:
        r.add_route(method, path, guarded(handler, public=public))
    # Anything else under /audit/: the same sign-in wall, then a plain 404.
    r.add_route("*", "/audit/{tail:.*}", guarded(not_found))


def route_table() -> tuple[tuple[str, str, bool], ...]:
    """(method, path, public) of every page, for the security tests."""
    return tuple((m, p, pub) for m, p, _h, pub in _ROUTES)
