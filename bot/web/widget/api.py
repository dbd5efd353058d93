"""The widget's JSON API under ``/api/chat/``.

``POST /api/chat/session``   issue or resume the conversation (signed HttpOnly cookie)
``GET  /api/chat/history``   the stored turns of this conversation
``POST /api/chat/messages``  ``{client_message_id, text, locale}`` -> the replies
``POST /api/chat/session/end`` forget this browser's conversation

Every error is JSON ``{"error": code, "message": human text}`` so the widget can show
something kind; the request body is never echoed and message text is never logged.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from aiohttp import web

from bot.web.widget import identity, texts
from bot.web.widget.bridge import ChatBridge, ConversationGone, IdConflict, RateLimited
from bot.web.widget.security import csrf_problem
from bot.web.widget.store import Turn

__all__ = ["routes", "BRIDGE_KEY", "SECRET_KEY", "EU_EEA_COUNTRIES"]

logger = logging.getLogger(__name__)

BRIDGE_KEY = web.AppKey("widget_bridge", ChatBridge)
SECRET_KEY = web.AppKey("widget_secret", bytes)

_CLIENT_MESSAGE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# BCP 47-ish: "en", "en-GB", "ru_RU", "de-DE". Anything else is ignored, not an error.
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")
_HISTORY_LIMIT = 200

# Offered by the widget's region picker. Must match safety/regions.yaml (EU + EEA); a
# test checks each against safety.resolve_locale so the two cannot drift apart.
# fmt: off
EU_EEA_COUNTRIES = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
)
# fmt: on


def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status)


def _guard(request: web.Request) -> web.Response | None:
    # Compare the result with None: an aiohttp Response is a mapping and empty ones are falsy.
    problem = csrf_problem(request)
    if problem:
        return _error(403, "forbidden", f"Request refused: {problem}.")
    return None


async def _json_body(request: web.Request) -> dict[str, Any] | web.Response:
    """The body as a JSON object, or the error response to send."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(
            413,
            "too_large",
            "This message is too long to send. Please shorten it and try again.",
        )
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "bad_json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _error(400, "bad_json", "The request body must be a JSON object.")
    return body


def _locale(value: Any) -> str | None:
    if isinstance(value, str) and _LOCALE.match(value.strip()):
        return value.strip()
    return None


def _conversation(request: web.Request) -> str | None:
    return identity.verify(request.app[SECRET_KEY], request.cookies.get(identity.COOKIE_NAME))


def _set_cookie(request: web.Request, response: web.Response, conversation_id: str) -> None:
    # A session cookie (no Max-Age): the conversation survives reloads and new tabs but
    # not closing the browser, which protects patients on shared computers.
    response.set_cookie(
        identity.COOKIE_NAME,
        identity.sign(request.app[SECRET_KEY], conversation_id),
        path="/api/chat/",
        httponly=True,
        samesite="Strict",
        # Behind a TLS-terminating proxy the app sees plain HTTP; trusting the proxy's
        # header here can only make the cookie stricter, so a forged one harms nobody.
        secure=request.secure or request.headers.get("X-Forwarded-Proto") == "https",
    )


def _history_payload(turns: list[Turn]) -> list[dict[str, Any]]:
    return [t.to_public() for t in turns]


async def session(request: web.Request) -> web.Response:
    refused = _guard(request)
    if refused is not None:
        return refused
    body = await _json_body(request)
    if isinstance(body, web.Response):
        return body
    bridge = request.app[BRIDGE_KEY]
    conversation_id = _conversation(request)
    resumed = bool(conversation_id) and await bridge.db(
        bridge.store.conversation_exists, conversation_id
    )
    if resumed:
        assert conversation_id is not None
        history = await bridge.db(bridge.store.history, conversation_id, _HISTORY_LIMIT)
    else:
        # Unknown, forged, erased or purged: a fresh id, never the one the browser sent.
        conversation_id = identity.new_conversation_id()
        await bridge.db(bridge.store.create_conversation, conversation_id)
        history = []
    response = web.json_response(
        {
            "resumed": resumed,
            "history": _history_payload(history),
            "notice": texts.notice_lines(),
            "countries": {"UK": ["GB"], "EU": list(EU_EEA_COUNTRIES)},
            "max_chars": bridge.max_chars,
        }
    )
    _set_cookie(request, response, conversation_id)
    return response


async def end_session(request: web.Request) -> web.Response:
    refused = _guard(request)
    if refused is not None:
        return refused
    bridge = request.app[BRIDGE_KEY]
    conversation_id = _conversation(request)
    if conversation_id:
        # The patient asked to end it: drop the display copy now (the clinic's audit log,
        # kept separately, is unaffected).
        await bridge.db(bridge.store.erase_conversation, conversation_id)
    response = web.json_response({"ended": True})
    response.del_cookie(identity.COOKIE_NAME, path="/api/chat/")
    return response


async def history(request: web.Request) -> web.Response:
    refused = _guard(request)
    if refused is not None:
        return refused
    conversation_id = _conversation(request)
    if not conversation_id:
        return _error(401, "no_conversation", "Please start a conversation first.")
    bridge = request.app[BRIDGE_KEY]
    if not await bridge.db(bridge.store.conversation_exists, conversation_id):
        return _error(401, "no_conversation", "This conversation has ended.")
    turns = await bridge.db(bridge.store.history, conversation_id, _HISTORY_LIMIT)
    return web.json_response({"history": _history_payload(turns)})


async def messages(request: web.Request) -> web.Response:
    refused = _guard(request)
    if refused is not None:
        return refused
    conversation_id = _conversation(request)
    if not conversation_id:
        return _error(401, "no_conversation", "Please start a conversation first.")
    body = await _json_body(request)
    if isinstance(body, web.Response):
        return body
    client_message_id = body.get("client_message_id")
    text = body.get("text")
    if not isinstance(client_message_id, str) or not _CLIENT_MESSAGE_ID.match(client_message_id):
        return _error(
            400, "bad_client_message_id", "client_message_id must be 8-64 letters, digits or '-'."
        )
    if not isinstance(text, str):
        return _error(400, "bad_text", "text must be a string.")
    # Keep the patient's own line breaks, but a message of only spaces is not a message.
    text = text.replace("\r\n", "\n").replace("\x00", "")
    if not text.strip():
        return _error(400, "empty_text", "Please type a message first.")
    locale = _locale(body.get("locale"))

    bridge = request.app[BRIDGE_KEY]
    try:
        outcome = await bridge.send(conversation_id, client_message_id, text.strip(), locale)
    except RateLimited as exc:
        return web.json_response(
            {
                "error": "rate_limited",
                "message": exc.message,
                "retry_after": round(exc.retry_after, 1),
            },
            status=429,
            headers={"Retry-After": str(max(1, round(exc.retry_after)))},
        )
    except IdConflict:
        return _error(
            409, "id_conflict", "This client_message_id was already used for another message."
        )
    except ConversationGone:
        return _error(401, "no_conversation", "This conversation has ended.")
    return web.json_response(
        {
            "client_message_id": client_message_id,
            "replayed": outcome.replayed,
            "turn": outcome.turn.to_public(),
        }
    )


def routes() -> list[web.RouteDef]:
    return [
        web.post("/api/chat/session", session),
        web.post("/api/chat/session/end", end_session),
        web.get("/api/chat/history", history),
        web.post("/api/chat/messages", messages),
    ]
