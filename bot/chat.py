"""A terminal chat against the running Rasa server (``python -m bot chat``)."""

from __future__ import annotations

import asyncio
import uuid

from bot.rasa_client import BotMessage, RasaClient, RasaUnavailable

__all__ = ["run_chat"]


def _show(messages: list[BotMessage]) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.text:
            print(f"bot> {message.text}\n")
        for button in message.buttons:
            buttons.append(button)
            print(f"     [{len(buttons)}] {button['title']}")
    if buttons:
        print("     (type a number to choose)\n")
    return buttons


async def _loop(url: str, locale: str | None, sender: str) -> int:
    metadata = {"locale": locale} if locale else {}
    async with RasaClient(url, timeout=30) as client:
        print(f"Chatting with {url} as '{sender}'. Type /quit or press Ctrl-D to leave.\n")
        buttons: list[dict[str, str]] = []
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                print()
                return 0
            text = text.strip()
            if not text:
                continue
            if text in {"/quit", "/exit"}:
                return 0
            if text.isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            try:
                buttons = _show(await client.send(sender, text, metadata))
            except RasaUnavailable as exc:
                print(
                    f"error: the assistant at {url} is not answering ({exc}). "
                    "Is `make run` running?\n"
                )


def run_chat(url: str, locale: str | None = None, sender: str | None = None) -> int:
    try:
        return asyncio.run(_loop(url, locale, sender or f"cli:{uuid.uuid4().hex[:12]}"))
    except KeyboardInterrupt:
        print()
        return 0
