"""Talk to the Rasa server's REST channel (``POST /webhooks/rest/webhook``).

One small async client shared by the Telegram bridge, the web widget, the terminal
chat and the answer evaluation, so timeouts and error handling are the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["RasaClient", "RasaUnavailable", "BotMessage"]


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


class RasaClient:
    """Async client for the REST channel. Pass ``transport`` in tests instead of patching."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        payload = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=payload)
        except httpx.HTTPError as exc:  # connect error, timeout, protocol error
            raise RasaUnavailable(type(exc).__name__) from exc
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
