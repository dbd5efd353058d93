"""Security of the /audit/ pages: sign-in wall, CSRF, XSS, SQL metacharacters, roles,
rate limit, idle logout, cookies and headers."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from bot.audit import models
from bot.audit.web.views import route_table

# Text that appears only in patient or assistant messages, sender ids, or notes.
SECRETS = (
    "хочу жить",
    "07700",
    "bob@example.com",
    "web:bob22",
    "telegram:100200300",
    "EMDR",
    "hopeless",
    "pills",
    "[phone]",
)


def _store(settings):
    from bot.audit.store import open_store

    return open_store(settings.audit_db_url, settings=settings)


def _ids(settings):
    s = _store(settings)
    try:
        with s.engine.connect() as conn:
            sid = conn.execute(
                sa.select(models.subject.c.subject_id).where(
                    models.subject.c.sender_id == "web:bob22"
                )
            ).scalar()
            seq = conn.execute(
                sa.select(models.safety_event.c.record_seq).where(
                    models.safety_event.c.subject_id == sid
                )
            ).scalar()
    finally:
        s.close()
    return sid, seq


def _concrete(path, sid, seq):
    return (
        path.replace("{sid}", sid)
        .replace("{seq}", str(seq))
        .replace("{name}", "clara")
        .replace("{action:(disable|enable)}", "disable")
    )


async def test_nothing_visible_without_a_session(sqlite_web, sqlite_settings):
    sid, seq = _ids(sqlite_settings)
    paths = [(m, _concrete(p, sid, seq)) for m, p, public in route_table() if not public]
    paths += [("GET", "/audit/export?format=jsonl"), ("GET", "/audit/export?format=csv&level=crisis"), ("GET", "/audit/nope"),
              ("GET", f"/audit/conversations/{sid}/x"), ("DELETE", f"/audit/conversations/{sid}"), ("GET", "/audit")]  # fmt: skip
    for method, path in paths:
        r = await sqlite_web.client.request(method, path, allow_redirects=False)
        body = await r.text()
        assert r.status in (301, 303, 401), (method, path, r.status)
        if r.status == 303:
            assert r.headers["Location"].startswith("/audit/login"), path
        for secret in SECRETS:
            assert secret not in body, (path, secret)
    # The sign-in page itself shows nothing of the record either.
    login = await sqlite_web.text("/audit/login")
    assert not any(s in login for s in SECRETS)


async def test_login_wrong_password_and_rate_limit(sqlite_web):
    r = await sqlite_web.login("clara", "wrong password here")
    assert r.status == 401 and "Wrong name or password" in await r.text()
    r = await sqlite_web.login("nobody", "wrong password here")
    assert r.status == 401
    for _ in range(4):
        await sqlite_web.login("clara", "wrong password here")
    r = await sqlite_web.login("clara")  # right password, but too many failures
    assert r.status == 429 and "Too many failed sign-ins" in await r.text()
    r = await sqlite_web.login("sam")  # another account from the same address still works
    assert r.status == 303


async def test_login_sets_safe_cookie_and_refuses_open_redirect(sqlite_web):
    token = await sqlite_web.csrf("/audit/login")
    r = await sqlite_web.client.post(
        "/audit/login",
        data={
            "username": "clara",
            "password": "clinician password 1",
            "csrf_token": token,
            "next": "https://evil.example/x",
        },
        allow_redirects=False,
        headers={"X-Forwarded-Proto": "https"},
    )
    assert r.status == 303 and r.headers["Location"] == "/audit/conversations"
    cookie = [v for v in r.headers.getall("Set-Cookie") if v.startswith("audit_session=")][0]
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/audit/", "Secure"):
        assert attr in cookie


async def test_login_needs_csrf(sqlite_web):
    await sqlite_web.get("/audit/login")
    r = await sqlite_web.client.post(
        "/audit/login",
        data={"username": "clara", "password": "clinician password 1"},
        allow_redirects=False,
    )
    assert r.status == 403


async def test_every_post_needs_the_csrf_token(sqlite_web, sqlite_settings):
    sid, seq = _ids(sqlite_settings)
    assert (await sqlite_web.login("ada")).status == 303
    good = await sqlite_web.csrf()
    for method, path, public in route_table():
        if method != "POST" or public:
            continue
        path = _concrete(path, sid, seq)
        for token in (None, "forged-token"):
            r = await sqlite_web.post(
                path, {"to": "reviewed", "note": "x", "reason": "because of it"}, token=token
            )
            assert r.status == 403, (path, token, r.status)
        # A right token from another site is refused too.
        r = await sqlite_web.post(
            path, {"note": "x"}, token=good, headers={"Origin": "https://evil.example"}
        )
        assert r.status == 403, path
    # Nothing changed.
    assert "status-new" in await sqlite_web.text(f"/audit/conversations/{sid}")


async def test_stored_xss_is_rendered_as_text(sqlite_web, sqlite_settings):
    await sqlite_web.login("sam")
    s = _store(sqlite_settings)
    try:
        with s.engine.connect() as conn:
            sid = conn.execute(
                sa.select(models.subject.c.subject_id).where(
                    models.subject.c.sender_id == "web:xss01"
                )
            ).scalar()
    finally:
        s.close()
    html = await sqlite_web.text(f"/audit/conversations/{sid}")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    r = await sqlite_web.post(
        f"/audit/conversations/{sid}/notes", {"note": "<b onmouseover=alert(1)>note</b>"}
    )
    assert r.status == 303
    html = await sqlite_web.text(f"/audit/conversations/{sid}")
    assert "<b onmouseover" not in html and "&lt;b onmouseover=alert(1)&gt;note&lt;/b&gt;" in html
    r = await sqlite_web.post(
        f"/audit/conversations/{sid}/reveal", {"reason": "checking the xss case"}
    )
    assert r.status == 200 and "<script>alert" not in await r.text()
    listing = await sqlite_web.text("/audit/conversations?q=%3Cscript%3Ealert")
    assert "<script>alert" not in listing and "web:xss01" in listing


@pytest.mark.parametrize(
    "query,status",
    [
        ("q=%27%20OR%201%3D1%20--", 200),
        ("q=%25", 200),
        ("q=_", 200),
        ("q=%27%3B%20DROP%20TABLE%20audit_record%3B--", 200),
        ("channel=web%27%3B%20DROP%20TABLE%20audit_record%3B--", 400),
        ("level=crisis%27%20OR%20%271%27%3D%271", 400),
        ("status=new%22%20OR%201%3D1", 400),
        ("from=2024-01-01%27%20OR%201%3D1", 400),
        ("page=1%20OR%201%3D1", 200),
    ],
)
async def test_sql_metacharacters_in_filters_are_harmless(
    sqlite_web, sqlite_settings, query, status
):
    await sqlite_web.login("clara")
    r = await sqlite_web.get(f"/audit/conversations?{query}")
    assert r.status == status
    body = await r.text()
    if "OR" in query and status == 200 and "page" not in query:
        assert "0 conversation(s)" in body  # matched literally, not as SQL
    s = _store(sqlite_settings)
    try:
        with s.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(models.record)).scalar() > 0
    finally:
        s.close()
    r = await sqlite_web.get(f"/audit/export?format=jsonl&{query}")
    assert r.status in (200, 400)


async def test_roles(sqlite_web, sqlite_settings):
    sid, seq = _ids(sqlite_settings)
    await sqlite_web.login("clara")
    for path in ("/audit/users", "/audit/access", "/audit/retention"):
        r = await sqlite_web.get(path)
        assert r.status == 403, path
    r = await sqlite_web.post(f"/audit/conversations/{sid}/reveal", {"reason": "curious about it"})
    assert r.status == 403
    r = await sqlite_web.post(f"/audit/safety/{seq}/confirm", {"verdict": "confirmed"})
    assert r.status == 403
    r = await sqlite_web.post("/audit/export", {"format": "jsonl", "reason": "want the raw text"})
    assert r.status == 403
    r = await sqlite_web.post(
        f"/audit/conversations/{sid}/hold", {"hold": "on", "reason": "because"}
    )
    assert r.status == 403
    html = await sqlite_web.text(f"/audit/conversations/{sid}")
    assert "Reveal" not in html and "True alarm" not in html and "Place legal hold" not in html
    await sqlite_web.logout()
    await sqlite_web.login("sam")
    r = await sqlite_web.post(f"/audit/conversations/{sid}/reveal", {"reason": "x"})
    assert r.status == 400  # a reason is required
    r = await sqlite_web.post(
        f"/audit/conversations/{sid}/reveal", {"reason": "safeguarding call back"}
    )
    body = await r.text()
    assert r.status == 200 and "bob@example.com" in body
    r = await sqlite_web.get("/audit/users")
    assert r.status == 403
    s = _store(sqlite_settings)
    try:
        with s.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    models.access.c.subtype,
                    models.access.c.agent_who,
                    models.access.c.outcome,
                    models.access.c.detail,
                )
            ).all()
    finally:
        s.close()
    assert ("forbidden", "clara", 4) in [(r[0], r[1], r[2]) for r in rows]
    reveal = [r for r in rows if r[0] == "reveal"]
    assert reveal and reveal[-1][1] == "sam" and "safeguarding call back" in reveal[-1][3]


async def test_idle_logout_and_disabled_user(sqlite_web, sqlite_settings):
    await sqlite_web.login("clara")
    assert (await sqlite_web.get("/audit/conversations")).status == 200
    s = _store(sqlite_settings)
    try:
        with s.write() as conn:
            old = int((time.time() - 16 * 60) * 1e6)
            conn.execute(sa.update(models.web_session).values(last_seen_us=old))
        r = await sqlite_web.get("/audit/conversations")
        assert r.status == 303 and "idle=1" in r.headers["Location"]
        assert "signed out after 15 minutes" in await sqlite_web.text(r.headers["Location"])
        await sqlite_web.login("clara")
        from bot.audit import users

        users.set_disabled(s, "clara", True, actor="ada", source="test")
        r = await sqlite_web.get("/audit/conversations")
        assert r.status == 303
        assert (await sqlite_web.login("clara")).status == 401
    finally:
        s.close()


async def test_headers_on_every_page(sqlite_web):
    for path in ("/audit/login", "/audit/conversations"):
        r = await sqlite_web.get(path)
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["X-Frame-Options"] == "DENY"
    await sqlite_web.login("clara")
    r = await sqlite_web.get("/audit/conversations")
    html = await r.text()
    assert "<script" not in html
    # The inline stylesheet is allowed by hash, nothing else.
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", r.headers["Content-Security-Policy"])
    assert '<meta http-equiv="refresh" content="905;url=/audit/login?idle=1">' in html


async def test_database_unavailable_shows_nothing(h, monkeypatch, tmp_path):
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bot.audit.web import setup

    settings = h.make_settings(monkeypatch, tmp_path, "postgresql://postgres@127.0.0.1:1/x")
    app = web.Application()
    setup(app, settings)
    async with TestClient(TestServer(app)) as client:
        r = await client.get("/audit/conversations", allow_redirects=False)
        assert r.status == 503 and "unavailable" in await r.text()
