"""The widget's JSON API: sessions, exactly-once delivery, limits, bad input, fail-safe.

A loopback stand-in for Rasa's REST endpoint (tests/web/conftest.py) answers and counts
calls; the real Rasa stack is exercised in test_widget_e2e.py and the browser tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import pytest

from bot.web.widget import identity

pytestmark = pytest.mark.timeout(60)

HEADERS = {"X-Requested-With": "mentallect-widget"}  # the widget's CSRF header


def cmid() -> str:
    return str(uuid.uuid4())


async def start(client, locale: str | None = "en-GB") -> dict:
    response = await client.post("/api/chat/session", json={"locale": locale}, headers=HEADERS)
    assert response.status == 200, await response.text()
    return await response.json()


async def say(client, text: str, message_id: str | None = None, locale: str = "en-GB"):
    return await client.post(
        "/api/chat/messages",
        json={"client_message_id": message_id or cmid(), "text": text, "locale": locale},
        headers=HEADERS,
    )


def conversation_id(client) -> str:
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/api/chat/"))
    value = cookie[identity.COOKIE_NAME].value
    found = identity.verify(client.settings.web_secret.encode(), value)
    assert found
    return found


# --- sessions and cookies -----------------------------------------------------------


async def test_session_sets_a_signed_httponly_strict_cookie(client):
    response = await client.post("/api/chat/session", json={}, headers=HEADERS)
    assert response.status == 200
    header = response.headers["Set-Cookie"]
    assert identity.COOKIE_NAME in header
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert "Path=/api/chat/" in header
    assert "Max-Age" not in header and "expires" not in header.lower()  # a session cookie
    body = await response.json()
    assert body["resumed"] is False
    assert body["history"] == []
    assert set(body["notice"]) == {"en", "ru"}
    assert body["max_chars"] == 4000
    assert "GB" in body["countries"]["UK"] and "DE" in body["countries"]["EU"]


async def test_cookie_is_secure_behind_an_https_proxy(client):
    response = await client.post(
        "/api/chat/session", json={}, headers={**HEADERS, "X-Forwarded-Proto": "https"}
    )
    assert "Secure" in response.headers["Set-Cookie"]
    plain = await client.post("/api/chat/session", json={}, headers=HEADERS)
    assert "Secure" not in plain.headers["Set-Cookie"]  # plain HTTP (local runs) still works


async def test_sender_id_is_issued_by_the_server_not_the_client(client, fake_rasa):
    fake, _ = fake_rasa
    await start(client)
    response = await client.post(
        "/api/chat/messages",
        json={
            "client_message_id": cmid(),
            "text": "hello",
            "sender": "web:victim",
            "sender_id": "victim",
        },
        headers=HEADERS,
    )
    assert response.status == 200
    assert fake.calls[-1]["sender"] == f"web:{conversation_id(client)}"
    assert "victim" not in fake.calls[-1]["sender"]
    assert fake.calls[-1]["metadata"] == {"channel": "web"}  # no locale sent: none given


async def test_metadata_carries_locale_and_channel(client, fake_rasa):
    fake, _ = fake_rasa
    await start(client)
    assert (await say(client, "hello", locale="ru-DE")).status == 200
    assert fake.calls[-1]["metadata"] == {"locale": "ru-DE", "channel": "web"}
    # A locale that is not a language tag is dropped, not forwarded.
    assert (await say(client, "hello again", locale="<script>")).status == 200
    assert fake.calls[-1]["metadata"] == {"channel": "web"}


async def test_forged_or_edited_cookie_is_not_accepted(client, make_client, fake_rasa):
    fake, url = fake_rasa
    await start(client)
    real_id = conversation_id(client)
    assert (await say(client, "first")).status == 200

    other = await make_client(url)
    forged = [
        f"v1.{real_id}.AAAA",  # right id, wrong signature
        identity.sign(b"another-secret", real_id),  # signed with another key
        real_id,  # bare id
        f"v1.{real_id}",
        "v2." + identity.sign(client.settings.web_secret.encode(), real_id)[3:],
    ]
    for value in forged:
        other.session.cookie_jar.clear()
        other.session.cookie_jar.update_cookies(
            {identity.COOKIE_NAME: value}, response_url=other.make_url("/api/chat/")
        )
        refused = await say(other, "let me in")
        assert refused.status == 401, value
        history = await other.get("/api/chat/history", headers=HEADERS)
        assert history.status == 401
        # The session call ignores it and issues a new conversation.
        body = await start(other)
        assert body["resumed"] is False and body["history"] == []
        assert conversation_id(other) != real_id
    assert fake.texts_for(f"web:{real_id}") == ["first"]


async def test_history_after_a_reload(client, make_client, fake_rasa):
    fake, url = fake_rasa
    fake.reply = lambda body: [
        {"text": f"answer to {body['message']}\nSource: Example 2024"},
        {
            "text": "Pick a topic",
            "buttons": [{"title": "Ketamine", "payload": "/ask_ketamine"}],
        },
    ]
    await start(client)
    first = cmid()
    assert (await say(client, "first question", first)).status == 200
    assert (await say(client, "/ask_ketamine")).status == 200  # a quick reply

    # A reload: the same cookie, a new page.
    body = await start(client)
    assert body["resumed"] is True
    turns = body["history"]
    assert [t["user"] for t in turns] == ["first question", "Ketamine"]  # title, not payload
    assert turns[0]["id"] == first
    assert turns[0]["replies"][0]["text"] == "answer to first question\nSource: Example 2024"
    assert turns[1]["replies"][1]["buttons"] == [{"title": "Ketamine", "payload": "/ask_ketamine"}]
    history = await client.get("/api/chat/history", headers=HEADERS)
    assert (await history.json())["history"] == turns


# --- exactly once ---------------------------------------------------------------------


async def test_retry_with_the_same_id_returns_the_stored_replies_without_calling_rasa(
    client, fake_rasa
):
    fake, _ = fake_rasa
    await start(client)
    message_id = cmid()
    first = await say(client, "how does EMDR work?", message_id)
    second = await say(client, "how does EMDR work?", message_id)
    assert first.status == second.status == 200
    one, two = await first.json(), await second.json()
    assert one["replayed"] is False and two["replayed"] is True
    assert one["turn"] == two["turn"]
    assert len(fake.calls) == 1
    history = await (await client.get("/api/chat/history", headers=HEADERS)).json()
    assert len(history["history"]) == 1


async def test_concurrent_retries_reach_rasa_once(client, fake_rasa):
    fake, _ = fake_rasa
    fake.delay = 0.3
    await start(client)
    message_id = cmid()
    responses = await asyncio.gather(*(say(client, "same", message_id) for _ in range(4)))
    bodies = [await r.json() for r in responses]
    assert len(fake.calls) == 1
    assert sorted(b["replayed"] for b in bodies) == [False, True, True, True]
    assert len({json.dumps(b["turn"], sort_keys=True) for b in bodies}) == 1


async def test_reusing_an_id_for_other_text_is_refused(client, fake_rasa):
    await start(client)
    message_id = cmid()
    assert (await say(client, "one thing", message_id)).status == 200
    conflict = await say(client, "another thing", message_id)
    assert conflict.status == 409
    assert (await conflict.json())["error"] == "id_conflict"


async def test_messages_of_one_conversation_are_handled_in_order(client, fake_rasa):
    fake, _ = fake_rasa
    fake.delay = 0.1
    await start(client)
    texts = [f"message {i}" for i in range(5)]
    # Sent one after another without waiting: the server must not overlap or reorder them.
    tasks = []
    for text in texts:
        tasks.append(asyncio.ensure_future(say(client, text)))
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    assert fake.max_active == 1
    assert [c["message"] for c in fake.calls] == texts


async def test_a_dropped_request_is_still_delivered_once(client, fake_rasa):
    """The browser goes away mid-request: the turn is still stored; the retry replays it."""
    fake, _ = fake_rasa
    fake.delay = 0.5
    await start(client)
    message_id = cmid()
    request = asyncio.ensure_future(say(client, "are you there?", message_id))
    await asyncio.sleep(0.2)
    request.cancel()  # closes the connection while Rasa is still thinking
    with pytest.raises(asyncio.CancelledError):
        await request
    retry = await say(client, "are you there?", message_id)
    body = await retry.json()
    assert body["turn"]["replies"] == [{"text": "echo: are you there?", "buttons": []}]
    assert len(fake.calls) == 1


# --- limits and bad input -----------------------------------------------------------


async def test_a_too_long_message_gets_a_kind_reply_and_is_not_sent_to_rasa(client, fake_rasa):
    fake, _ = fake_rasa
    await start(client)
    response = await say(client, "word " * 1000)  # 5,000 characters
    assert response.status == 200
    replies = (await response.json())["turn"]["replies"]
    assert "4,000 characters" in replies[-1]["text"]
    assert fake.calls == []


async def test_an_oversized_body_gets_a_json_413(client):
    await start(client)
    response = await say(client, "x" * 70_000)
    assert response.status == 413
    body = await response.json()
    assert body["error"] == "too_large" and "too long" in body["message"]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('"text"', "bad_json"),
        (b"\xff\xfe".decode("latin-1"), "bad_json"),
        ('{"text": "hi"}', "bad_client_message_id"),
        ('{"client_message_id": "short", "text": "hi"}', "bad_client_message_id"),
        ('{"client_message_id": "../../etc/passwd", "text": "hi"}', "bad_client_message_id"),
        ('{"client_message_id": "12345678-abcd", "text": 5}', "bad_text"),
        ('{"client_message_id": "12345678-abcd", "text": "   \\n  "}', "empty_text"),
        ('{"client_message_id": "12345678-abcd"}', "bad_text"),
    ],
)
async def test_bad_input_gets_a_clear_400(client, fake_rasa, raw, error):
    fake, _ = fake_rasa
    await start(client)
    response = await client.post(
        "/api/chat/messages",
        data=raw.encode("latin-1") if raw.startswith("\xff") else raw.encode(),
        headers={**HEADERS, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["error"] == error
    assert body["message"]
    assert fake.calls == []


async def test_session_with_malformed_json_gets_400(client):
    response = await client.post(
        "/api/chat/session", data=b"{oops", headers={**HEADERS, "Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"] == "bad_json"


async def test_rate_limit_is_kind_and_keeps_the_message(client, fake_rasa):
    fake, _ = fake_rasa
    await start(client)
    for i in range(12):
        assert (await say(client, f"question {i}")).status == 200
    limited = await say(client, "one more")
    assert limited.status == 429
    body = await limited.json()
    assert body["error"] == "rate_limited"
    assert "kept" in body["message"]
    assert body["retry_after"] > 0
    assert int(limited.headers["Retry-After"]) >= 1
    assert len(fake.calls) == 12


# --- CSRF and headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Requested-With": "XMLHttpRequest"},
        {**HEADERS, "Sec-Fetch-Site": "cross-site"},
        {**HEADERS, "Sec-Fetch-Site": "same-site"},
        {**HEADERS, "Origin": "https://evil.example"},
        {**HEADERS, "Origin": "null"},
    ],
)
async def test_cross_site_requests_are_refused(client, fake_rasa, headers):
    fake, _ = fake_rasa
    await start(client)
    for method, path in (("POST", "session"), ("GET", "history"), ("POST", "messages")):
        response = await client.request(
            method,
            f"/api/chat/{path}",
            json={"client_message_id": cmid(), "text": "hi"} if method == "POST" else None,
            headers=headers,
        )
        assert response.status == 403, (path, headers)
        assert (await response.json())["error"] == "forbidden"
    assert fake.calls == []


async def test_same_origin_headers_are_accepted(client):
    origin = str(client.make_url("/")).rstrip("/")
    response = await client.post(
        "/api/chat/session",
        json={},
        headers={**HEADERS, "Origin": origin, "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status == 200


async def test_no_cors(client):
    response = await client.options(
        "/api/chat/messages",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-requested-with, content-type",
        },
    )
    assert response.status in (403, 405)
    assert not any(h.lower().startswith("access-control-") for h in response.headers)


@pytest.mark.parametrize("path", ["/", "/widget/widget.js", "/widget/widget.css"])
async def test_security_headers(client, path):
    response = await client.get(path)
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_api_responses_are_not_cached(client):
    response = await client.post("/api/chat/session", json={}, headers=HEADERS)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers


async def test_no_directory_listing_or_escape_from_static(client):
    assert (await client.get("/widget/")).status in (403, 404)
    assert (await client.get("/widget/../__init__.py")).status in (403, 404)
    assert (await client.get("/widget/%2e%2e/__init__.py")).status in (403, 404)


async def test_demo_page_embeds_the_widget_with_one_script_tag(client):
    html = await (await client.get("/")).text()
    assert html.count("<script") == 1
    assert (
        '<script src="/widget/widget.js" data-locale="en-GB" data-open="true" defer></script>'
        in html
    )
    assert "style=" not in html  # no inline styles either (CSP style-src 'self')
    assert "Mentallect" in html


# --- end of conversation, erasure, retention ------------------------------------------


async def test_end_conversation_forgets_it(client, fake_rasa):
    await start(client)
    old = conversation_id(client)
    assert (await say(client, "private")).status == 200
    response = await client.post("/api/chat/session/end", json={}, headers=HEADERS)
    assert response.status == 200
    body = await start(client)
    assert body["resumed"] is False and body["history"] == []
    assert conversation_id(client) != old


async def test_erase_conversation_and_purge(client, fake_rasa):
    from datetime import datetime, timedelta, timezone

    from bot.web import widget

    await start(client)
    cid = conversation_id(client)
    for text in ("one", "two"):
        assert (await say(client, text)).status == 200
    assert widget.erase_conversation(f"web:{cid}", client.settings) == 2
    assert widget.erase_conversation(f"web:{cid}", client.settings) == 0
    # The browser still holds the cookie: it gets a new conversation, never the old id back.
    refused = await say(client, "three")
    assert refused.status == 401
    body = await start(client)
    assert body["resumed"] is False and conversation_id(client) != cid

    assert (await say(client, "four")).status == 200
    later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=31)
    assert widget.purge_expired(client.settings, now=later) == 1
    assert widget.purge_expired(client.settings, days=0, now=later) == 0
    assert (await say(client, "five")).status == 401


# --- privacy --------------------------------------------------------------------------


async def test_message_text_is_not_logged(client, fake_rasa, caplog):
    fake, _ = fake_rasa
    caplog.set_level(logging.DEBUG)
    await start(client)
    marker = "zebra-marker-7731 my private history"
    assert (await say(client, marker)).status == 200
    fake.status = 500
    assert (await say(client, marker + " again")).status == 200  # fail-safe path logs a warning
    for record in caplog.records:
        assert "zebra-marker" not in record.getMessage()


async def test_gdpr_erasure_of_a_web_sender_also_clears_the_widget_copy(client, fake_rasa):
    """`audit erase --sender web:<id>` (and the clinician pages) go through the same path."""
    import asyncio

    from bot.audit import erase_sender

    await start(client)
    cid = conversation_id(client)
    assert (await say(client, "something private")).status == 200
    result = await asyncio.to_thread(erase_sender, f"web:{cid}", via="cli", settings=client.settings)
    assert result["channel_copies"] == 1
    assert (await say(client, "again")).status == 401  # the widget no longer has it
