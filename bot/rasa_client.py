"""Talk to the Rasa server's REST channel (``POST /webhooks/rest/webhook``).

One small async client shared by the Telegram bridge, the web widget, the terminal
chat and the answer evaluation, so timeouts and error handling are the same everywhere.

With several replicas (``RASA_URL`` holding a comma-separated list), each conversation
goes to one replica chosen by a stable hash of its sender id, so one replica handles a
conversation's messages in order. Only when that replica cannot be reached at all
(connection refused: it is down, so it did not see the message) does the message go to
the next replica; a timeout or an error answer is never retried elsewhere, because the
first replica may have processed the message already.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["RasaClient", "RasaUnavailable", "BotMessage", "split_urls"]


class RasaUnavailable(Exception):
    """Rasa did not answer in time, answered with an error, or could not be reached."""


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: tuple[dict[str, str], ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_rest(cls, raw: dict[str, Any]) -> BotMessage:
        buttons = tuple(
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in raw.get("buttons") or []
            if isinstance(b, dict)
        )
        custom = raw.get("custom") if isinstance(raw.get("custom"), dict) else {}
        return cls(text=str(raw.get("text") or ""), buttons=buttons, custom=custom or {})


def split_urls(base_url: str | Sequence[str]) -> list[str]:
    """``"http://a:5005, http://a:5006"`` or a list -> clean list of base URLs."""
    parts = base_url.split(",") if isinstance(base_url, str) else list(base_url)
    urls = [p.strip().rstrip("/") for p in parts if p and p.strip()]
    if not urls:
        raise ValueError("no Rasa URL given")
    return urls


class RasaClient:
    """Async client for the REST channel. Pass ``transport`` in tests instead of patching."""

    def __init__(
        self,
        base_url: str | Sequence[str],
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.urls = split_urls(base_url)
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    def replicas_for(self, sender: str) -> list[str]:
        """The replicas to try for ``sender``: its own first, then the others in order."""
        first = zlib.crc32(sender.encode("utf-8")) % len(self.urls)
        return self.urls[first:] + self.urls[:first]

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        payload = {"sender": sender, "message": text, "metadata": metadata or {}}
        unreachable: list[str] = []
        for url in self.replicas_for(sender):
            try:
                response = await self._client.post(f"{url}/webhooks/rest/webhook", json=payload)
            except httpx.ConnectError:
                unreachable.append(url)  # down: it never saw the message, try the next
                continue
            except httpx.HTTPError as exc:  # timeout, protocol error: it may have seen it
                raise RasaUnavailable(type(exc).__name__) from exc
            return self._messages(response)
        raise RasaUnavailable(f"no Rasa replica reachable ({len(unreachable)} tried)")

    @staticmethod
    def _messages(response: httpx.Response) -> list[BotMessage]:
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise RasaUnavailable("invalid JSON from Rasa") from exc
        if not isinstance(body, list):
            raise RasaUnavailable("unexpected reply shape from Rasa")
        return [BotMessage.from_rest(item) for item in body if isinstance(item, dict)]

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> RasaClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
