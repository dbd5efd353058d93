"""A clinician's day on the pages, on SQLite and PostgreSQL: filter, read, review, note,
confirm, export; everything lands in the chain and the access log."""

from __future__ import annotations

import csv
import io
import json
import re

import sqlalchemy as sa

from bot.audit import models
from bot.audit.verify import verify


async def test_review_flow(web_app, settings, h):
    assert (await web_app.login("clara")).status == 303
    html = await web_app.text("/audit/conversations?level=crisis")
    assert "2 conversation(s)" in html
    assert "web:bob22" in html and "telegram:100200300" in html and "rest-9d1e" not in html
    sid = re.search(
        r'href="/audit/conversations/([0-9a-f]{32})"', html.split("web:bob22")[1]
    ).group(1)

    page = await web_app.text(f"/audit/conversations/{sid}")
    assert "want to kill myself" in page and "[email]" in page and "bob@example.com" not in page
    assert (
        'class="badge level-crisis"' in page
        and "suicidal_intent" in page
        and "timeframe_now" in page
    )
    assert "samaritans, 999" in page  # helplines shown with the reply

    r = await web_app.post(
        f"/audit/conversations/{sid}/status", {"to": "reviewed", "note": "crisis reply appropriate"}
    )
    assert r.status == 303 and r.headers["Location"].endswith("?done=reviewed")
    page = await web_app.text(r.headers["Location"])
    assert (
        "Marked reviewed." in page
        and "status-reviewed" in page
        and "crisis reply appropriate" in page
    )
    r = await web_app.post(f"/audit/conversations/{sid}/status", {"to": "resolved"})
    assert r.status == 400  # reviewed -> resolved is not a step
    r = await web_app.post(
        f"/audit/conversations/{sid}/notes", {"note": "phoned the patient, safe"}
    )
    assert r.status == 303
    assert "phoned the patient, safe" in await web_app.text(f"/audit/conversations/{sid}")

    reviewed = await web_app.text("/audit/conversations?status=reviewed")
    assert "1 conversation(s)" in reviewed
    found = await web_app.text("/audit/conversations?q=KILL%20myself")
    assert "web:bob22" in found and "1 conversation(s)" in found

    r = await web_app.get("/audit/export?format=csv&level=crisis")
    assert r.status == 200 and 'filename="audit-export-' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert {row["sender"] for row in rows} == {"web:bob22", "telegram:100200300"}
    assert not any("bob@example.com" in row["text"] for row in rows)
    r = await web_app.get("/audit/export?format=jsonl")
    lines = [json.loads(x) for x in (await r.text()).splitlines()]
    assert len(lines) == 16 and all("level" in x for x in lines)

    await web_app.logout()
    assert (await web_app.get("/audit/conversations")).status == 303

    await web_app.login("sam")
    register = await web_app.text("/audit/safety")
    assert "<svg" in register and "3 event(s)" in register
    seq = re.search(r"/audit/safety/(\d+)/confirm", register).group(1)
    r = await web_app.post(
        f"/audit/safety/{seq}/confirm", {"verdict": "false_alarm", "back": "/audit/safety"}
    )
    assert r.status == 303
    assert "false alarm (sam)" in await web_app.text("/audit/safety")
    assert "1 event(s)" in await web_app.text("/audit/safety?confirmation=false_alarm")
    r = await web_app.post(
        "/audit/export", {"format": "jsonl", "level": "emergency", "reason": "coroner request 4411"}
    )
    assert r.status == 200 and "UNREDACTED" in r.headers["Content-Disposition"]
    assert "07700 900123" in await r.text()

    await web_app.logout()
    await web_app.login("ada")
    access = await web_app.text("/audit/access")
    for subtype in (
        "search",
        "read",
        "review",
        "note",
        "export",
        "safety-confirm",
        "export-unredacted",
        "login",
        "logout",
    ):
        assert f"<td>{subtype} " in access, subtype
    r = await web_app.post(
        f"/audit/conversations/{sid}/hold", {"hold": "on", "reason": "complaint received"}
    )
    assert r.status == 303
    assert "legal hold" in await web_app.text(f"/audit/conversations/{sid}")
    users_page = await web_app.text("/audit/users")
    assert "clara" in users_page and "safety officer" in users_page
    r = await web_app.post(
        "/audit/users",
        {"username": "newbie", "role": "clinician", "password": "a new long password"},
    )
    assert r.status == 303
    assert (await web_app.get("/audit/retention")).status == 200

    store = h.open_test_store(settings)
    try:
        report = verify(store)
        assert report.ok, report.problems
        with store.engine.connect() as conn:
            kinds = [
                k
                for (k,) in conn.execute(
                    sa.select(models.record.c.kind).where(models.record.c.subject_id == sid)
                )
            ]
        assert {"review", "note", "legal_hold"} <= set(kinds)
    finally:
        store.close()


async def test_erase_from_the_pages(web_app, settings, h):
    await web_app.login("ada")
    html = await web_app.text("/audit/conversations?channel=telegram")
    sid = re.search(
        r'href="/audit/conversations/([0-9a-f]{32})"', html.split("telegram:100200300")[1]
    ).group(1)
    r = await web_app.post(
        f"/audit/conversations/{sid}/erase",
        {"reason": "patient request", "confirm_sender": "telegram:999"},
    )
    assert r.status == 400
    r = await web_app.post(
        f"/audit/conversations/{sid}/erase",
        {"reason": "patient request", "confirm_sender": "telegram:100200300"},
    )
    assert r.status == 303
    page = await web_app.text(f"/audit/conversations/{sid}")
    assert "(erased)" in page and "хочу" not in page and "text removed" in page
    store = h.open_test_store(settings)
    try:
        assert verify(store).ok
    finally:
        store.close()
