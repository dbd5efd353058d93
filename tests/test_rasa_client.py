"""The REST client: replica choice is sticky per sender; failover only when unreachable."""

from __future__ import annotations

import httpx
import pytest

from bot.rasa_client import RasaClient, RasaUnavailable, split_urls


def transport(answers: dict[str, object], calls: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        calls.append(base)
        answer = answers[base]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(200, json=[{"recipient_id": "x", "text": str(answer)}])

    return httpx.MockTransport(handle)


A, B = "http://127.0.0.1:5005", "http://127.0.0.1:5006"


def test_split_urls():
    assert split_urls(f" {A}/, {B} ") == [A, B]
    with pytest.raises(ValueError):
        split_urls(" , ")


async def test_a_conversation_always_goes_to_the_same_replica():
    calls: list[str] = []
    client = RasaClient([A, B], transport=transport({A: "a", B: "b"}, calls))
    first = [(await client.send("web:alice", "hi"))[0].text for _ in range(5)]
    assert len(set(first)) == 1
    senders = [f"web:{i}" for i in range(40)]
    used = {client.replicas_for(s)[0] for s in senders}
    assert used == {A, B}  # conversations are spread over both


async def test_an_unreachable_replica_hands_over_to_the_next():
    calls: list[str] = []
    client = RasaClient([A, B], transport=transport({A: httpx.ConnectError("refused"), B: "b"}, calls))
    sender = next(s for s in (f"web:{i}" for i in range(100)) if client.replicas_for(s)[0] == A)
    assert (await client.send(sender, "hi"))[0].text == "b"
    assert calls == [A, B]


async def test_a_timeout_is_not_retried_elsewhere():
    """The first replica may have processed the message: never send it twice."""
    calls: list[str] = []
    client = RasaClient([A, B], transport=transport({A: httpx.ReadTimeout("slow"), B: "b"}, calls))
    sender = next(s for s in (f"web:{i}" for i in range(100)) if client.replicas_for(s)[0] == A)
    with pytest.raises(RasaUnavailable):
        await client.send(sender, "hi")
    assert calls == [A]


async def test_all_replicas_down_is_unavailable():
    calls: list[str] = []
    down = httpx.ConnectError("refused")
    client = RasaClient([A, B], transport=transport({A: down, B: down}, calls))
    with pytest.raises(RasaUnavailable):
        await client.send("web:x", "hi")
    assert sorted(calls) == [A, B]
