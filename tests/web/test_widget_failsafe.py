"""When Rasa errors, is slow, says nothing or cannot be reached, the widget still answers.

The bridge screens the text itself (safety library) and sends the helpline reply for a
crisis, else the "temporarily unavailable" message; both are composed by the safety
library from safety/helplines.yaml. Crisis messages are never rate limited.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid

import pytest

import safety
from bot.audit import cli as audit_cli
from bot.web.widget import texts
from bot.web.widget.api import BRIDGE_KEY

pytestmark = pytest.mark.timeout(60)

HEADERS = {"X-Requested-With": "mentallect-widget"}
CRISIS = "I want to kill myself"


async def start(client) -> None:
    response = await client.post("/api/chat/session", json={}, headers=HEADERS)
    assert response.status == 200


async def say(client, text: str, locale: str = "en-GB"):
    response = await client.post(
        "/api/chat/messages",
        json={"client_message_id": str(uuid.uuid4()), "text": text, "locale": locale},
        headers=HEADERS,
    )
    return response


async def replies_to(client, text: str, locale: str = "en-GB") -> list[str]:
    response = await say(client, text, locale)
    assert response.status == 200, await response.text()
    return [r["text"] for r in (await response.json())["turn"]["replies"]]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends


@pytest.fixture(params=["error", "timeout", "empty", "unreachable"])
async def broken_rasa_client(request, fake_rasa, make_client):
    fake, url = fake_rasa
    if request.param == "error":
        fake.status = 500
    elif request.param == "timeout":
        fake.delay = 3.0  # the client gives up after rasa_timeout_seconds
    elif request.param == "empty":
        fake.reply = lambda body: []
    else:
        url = f"http://127.0.0.1:{closed_port()}"
    client = await make_client(url, rasa_timeout_seconds=1.0)
    await start(client)
    return client


@pytest.mark.parametrize(
    ("text", "locale", "numbers"),
    [
        (CRISIS, "en-GB", ["999", "116 123", "85258"]),
        (CRISIS, "de-DE", ["112"]),
        ("я больше не хочу жить", "ru", ["8-800-2000-122", "112"]),
        ("I have already taken all my pills, about 40 of them", "en-GB", ["999"]),
    ],
)
async def test_crisis_text_gets_the_helpline_reply_when_rasa_is_down(
    broken_rasa_client, text, locale, numbers
):
    replies = await replies_to(broken_rasa_client, text, locale)
    verdict = safety.screen(text, locale=locale, default_region="UK")
    assert verdict.level.at_least(safety.Level.CRISIS)
    assert replies == [safety.compose_reply(verdict)]
    for number in numbers:
        assert number in replies[0]


@pytest.mark.parametrize(
    ("locale", "lang", "region"), [("en-GB", "en", "UK"), ("ru-DE", "ru", "EU")]
)
async def test_other_text_gets_the_unavailable_message(broken_rasa_client, locale, lang, region):
    text = "how does EMDR work?" if lang == "en" else "как работает ДПДГ?"
    replies = await replies_to(broken_rasa_client, text, locale)
    assert replies == [safety.compose_unavailable(lang, region)]


async def test_crisis_in_the_context_of_history_is_caught_by_the_failsafe(fake_rasa, make_client):
    """The fail-safe screens with the last two user messages as context."""
    fake, url = fake_rasa
    client = await make_client(url)
    await start(client)
    history = ["I have a plan to end my life", "I have the pills here"]
    for text in history:
        await replies_to(client, text)
    fake.status = 500
    text = "tonight"
    replies = await replies_to(client, text)
    verdict = safety.screen(text, locale="en-GB", history=history, default_region="UK")
    if verdict.level.at_least(safety.Level.CRISIS):
        assert replies == [safety.compose_reply(verdict)]
    else:  # the screen does not escalate on this context: then "unavailable" is right
        assert replies == [safety.compose_unavailable("en", "UK")]


async def test_a_crisis_is_never_rate_limited(client, fake_rasa):
    fake, _ = fake_rasa
    await start(client)
    for i in range(12):
        assert (await say(client, f"question {i}")).status == 200
    assert (await say(client, "one more question")).status == 429
    crisis = await say(client, CRISIS)
    assert crisis.status == 200
    assert fake.calls[-1]["message"] == CRISIS


async def test_a_too_long_crisis_message_still_gets_the_helplines_first(client, fake_rasa):
    fake, _ = fake_rasa
    await start(client)
    text = "I want to kill myself. " + "I can't go on like this. " * 200
    replies = await replies_to(client, text)
    verdict = safety.screen(text, locale="en-GB", default_region="UK")
    assert replies[0] == safety.compose_reply(verdict)
    assert "4,000 characters" in replies[1]
    assert fake.calls == []


async def test_notice_line_is_composed_from_the_helplines_data(client):
    # Required verbatim by the issue; the numbers come from safety/helplines.yaml.
    assert (
        texts.notice_line("en") == "Not a crisis service: in an emergency call 999 (UK) / 112 (EU)"
    )
    response = await client.post("/api/chat/session", json={}, headers=HEADERS)
    notice = (await response.json())["notice"]
    assert notice["en"] == texts.notice_line("en")
    assert "999" in notice["ru"] and "112" in notice["ru"]
    html = await (await client.get("/")).text()
    assert texts.notice_line("en") in html


def test_region_picker_countries_match_the_safety_regions():
    from bot.web.widget.api import EU_EEA_COUNTRIES

    assert safety.resolve_locale("en-GB").region == "UK"
    for country in EU_EEA_COUNTRIES:
        assert safety.resolve_locale(f"en-{country}").region == "EU", country
    assert len(set(EU_EEA_COUNTRIES)) == len(EU_EEA_COUNTRIES)


async def test_fail_safe_turns_are_in_the_audit_record(make_client, monkeypatch, capsys):
    """Rasa's event broker never sees a turn the widget answered itself: it is audited here."""
    client = await make_client(f"http://127.0.0.1:{closed_port()}", rasa_timeout_seconds=1.0)
    await start(client)
    replies = await replies_to(client, CRISIS, "en-GB")
    bridge = client.server.app[BRIDGE_KEY]
    assert await asyncio.to_thread(bridge.audit.flush, 10)

    monkeypatch.setenv("AUDIT_DB_URL", client.settings.audit_db_url)
    monkeypatch.setenv("BOT_STATE_DIR", str(client.settings.state_dir))
    capsys.readouterr()
    assert audit_cli.main(["export", "--format", "jsonl", "--unredacted"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    users = [r for r in rows if r["role"] == "user"]
    bots = [r for r in rows if r["role"] == "bot"]
    assert [u["text"] for u in users] == [CRISIS]
    assert users[0]["level"] == "crisis" and users[0]["channel"] == "web"
    assert [b["text"] for b in bots] == replies
