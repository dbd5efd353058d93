"""Turn the Bot API's JSON into ``telegram.Update`` objects without losing messages.

python-telegram-bot parses a whole getUpdates batch at once: one malformed update
fails the batch (and its error log prints the raw data, message text included). Here
each update is parsed on its own. If one does not parse, we rebuild a minimal message
from the fields we can trust (chat id, sender, text or caption) so the person still
gets an answer; only when not even a chat id can be found is the update skipped, and
the log line says which update and why, never what it contained.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from telegram import Bot, Update

from bot.channels.telegram.errors import describe_exception

__all__ = ["parse_update", "parse_updates"]

log = logging.getLogger(__name__)

_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")
_MAX_TEXT = 65536  # far above Telegram's 4096; a defence against absurd input only


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,20}", value.strip()):
        return int(value)
    return None


def _str(value: Any) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) else None


def _salvage(raw: dict[str, Any], update_id: int) -> dict[str, Any] | None:
    """A minimal, well-formed copy of a message update, or None."""
    for kind in _MESSAGE_KINDS:
        message = raw.get(kind)
        if not isinstance(message, dict):
            continue
        chat = message.get("chat")
        chat_id = _int(chat.get("id")) if isinstance(chat, dict) else None
        if chat_id is None:
            return None
        assert isinstance(chat, dict)
        chat_type = _str(chat.get("type")) or ("private" if chat_id > 0 else "group")
        minimal: dict[str, Any] = {
            "message_id": _int(message.get("message_id")) or 0,
            "date": _int(message.get("date")) or int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
        }
        sender = message.get("from")
        if isinstance(sender, dict) and _int(sender.get("id")) is not None:
            minimal["from"] = {
                "id": _int(sender.get("id")),
                "is_bot": bool(sender.get("is_bot", False)),
                "first_name": _str(sender.get("first_name")) or "?",
            }
            language_code = _str(sender.get("language_code"))
            if language_code:
                minimal["from"]["language_code"] = language_code[:35]
        text = _str(message.get("text"))
        caption = _str(message.get("caption"))
        if text is not None:
            minimal["text"] = text
            command = _COMMAND.match(text)
            if command:
                # Without its entity a command would be read as plain text.
                minimal["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": command.end()}
                ]
        elif caption is not None:
            minimal["caption"] = caption  # media we cannot read: "only text" unless a crisis
        # Neither: some content we could not parse, answered with "only text is read".
        return {"update_id": update_id, kind: minimal}
    return None


def parse_update(raw: object, bot: Bot) -> Update | None:
    """One raw update -> Update, or None if it has nothing we can answer."""
    if not isinstance(raw, dict):
        log.warning("skipped an update that is not a JSON object (%s)", type(raw).__name__)
        return None
    update_id = _int(raw.get("update_id"))
    if update_id is None:
        log.warning("skipped an update without a usable update_id")
        return None
    try:
        return Update.de_json(dict(raw), bot)
    except Exception as exc:
        first_error = describe_exception(exc, frames=1)
    minimal = _salvage(raw, update_id)
    if minimal is not None:
        try:
            update = Update.de_json(minimal, bot)
        except Exception as exc:
            log.error("update %d unreadable (%s), and so is its minimal copy (%s)",
                      update_id, first_error, describe_exception(exc, frames=1))
            return None
        log.warning("update %d partly unreadable (%s): answered from its basic fields",
                    update_id, first_error)
        return update
    log.warning("skipped update %d: unreadable (%s) and no chat to answer", update_id, first_error)
    return None


def parse_updates(raw: object, bot: Bot) -> tuple[list[Update], int | None]:
    """A getUpdates result -> (parsed updates, highest update_id seen, parsed or not)."""
    if not isinstance(raw, list):
        log.warning("getUpdates returned %s instead of a list", type(raw).__name__)
        return [], None
    updates: list[Update] = []
    highest: int | None = None
    for item in raw:
        if isinstance(item, dict):
            update_id = _int(item.get("update_id"))
            if update_id is not None:
                highest = update_id if highest is None else max(highest, update_id)
        update = parse_update(item, bot)
        if update is not None:
            updates.append(update)
    return updates, highest
