"""The widget's API against the real stack (``python -m bot web`` + Rasa + action server)."""

from __future__ import annotations

import uuid

import httpx
import pytest

import safety

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300, func_only=True)]  # fixtures (training, start-up) bounded on their own

HEADERS = {"X-Requested-With": "mentallect-widget"}


@pytest.fixture
def chat(stack):
    with httpx.Client(
        base_url=f"http://127.0.0.1:{stack.settings.web_port}", headers=HEADERS, timeout=60
    ) as client:
        assert client.post("/api/chat/session", json={"locale": "en-GB"}).status_code == 200
        yield client


def say(chat, text: str, locale: str = "en-GB", message_id: str | None = None) -> dict:
    response = chat.post(
        "/api/chat/messages",
        json={"client_message_id": message_id or str(uuid.uuid4()), "text": text, "locale": locale},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_crisis_reply_comes_first_through_the_widget(chat):
    text = "I want to kill myself"
    replies = [r["text"] for r in say(chat, text)["turn"]["replies"]]
    assert replies[0] == safety.compose_reply(safety.screen(text, locale="en-GB"))


def test_rasa_sees_the_server_issued_sender_and_the_web_channel(chat, stack):
    text = f"what is PTSD? ({uuid.uuid4().hex[:6]})"
    message_id = str(uuid.uuid4())
    first = say(chat, text, message_id=message_id)
    again = say(chat, text, message_id=message_id)  # a retry
    assert again["replayed"] is True and again["turn"] == first["turn"]
    from bot.web.widget import identity

    cookie = chat.cookies.get(identity.COOKIE_NAME)
    sender = "web:" + cookie.split(".")[1]
    tracker = httpx.get(
        f"{stack.settings.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.settings.rasa_auth_token},
        timeout=30,
    ).json()
    users = [e for e in tracker["events"] if e.get("event") == "user"]
    assert [e["text"] for e in users].count(text) == 1
    metadata = next(e for e in users if e["text"] == text).get("metadata") or {}
    assert metadata.get("channel") == "web"
    assert metadata.get("locale") == "en-GB"
