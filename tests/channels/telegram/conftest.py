"""A small fake Telegram Bot API server, and the bridge process pointed at it.

The fake speaks HTTP on a free loopback port like api.telegram.org does
(``/bot<token>/<method>``), so the bridge under test is the real program with the
real python-telegram-bot client; only ``TELEGRAM_API_URL`` differs. It implements
what the bridge uses (getMe, getUpdates with offset and long-poll timeout,
sendMessage, setWebhook, deleteWebhook, answerCallbackQuery,
editMessageReplyMarkup, sendChatAction) and records every call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.settings import PROJECT_ROOT, Settings, to_env

TOKEN = "123456:TEST-token-for-the-fake-api"
BOT_ID = 123456
BOT_USERNAME = "ptsd_info_test_bot"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    """PTB sends form fields with JSON-encoded values for objects and lists."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in "[{":
            with suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


def _run_to_end(loop: asyncio.AbstractEventLoop, main: Any) -> None:
    """Run ``main``, then cancel what is left (held long polls) and close the loop."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main)
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        loop.close()


@dataclasses.dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


class FakeBotAPI:
    """Runs in a thread with its own event loop; the test talks to it synchronously."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = _free_port()
        self.calls: list[Call] = []
        self.ignore_long_poll = False  # answer getUpdates at once, like a careless server
        self.ignore_offset = False  # keep returning confirmed updates, like a buggy server
        self.minimal_results = False  # sendMessage answers {"message_id": n} and nothing else
        self.missing_methods: set[str] = set()  # answer these with 404
        # method -> queued error answers (status, description, parameters), used first
        self.fail_next: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._delivered: set[int] = set()  # id() of updates returned by getUpdates
        self._next_update_id = 1000
        self._next_message_id = 1
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="fake-bot-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Bot API did not start")

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        _run_to_end(self._loop, self._serve())

    async def _serve(self) -> None:
        self._new_update = asyncio.Event()
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    # --- the API ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = _decode_params(dict(await request.post()))
        params.update({k: v for k, v in request.query.items() if k not in params})
        with self._lock:
            self.calls.append(Call(method, params, time.monotonic()))
        if method in self.missing_methods:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        with self._lock:
            queued = self.fail_next.get(method)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            status, description, parameters = failure
            body = {"ok": False, "error_code": status, "description": description}
            if parameters:
                body["parameters"] = parameters
            return web.json_response(body, status=status)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID, "is_bot": True, "first_name": "PTSD info", "username": BOT_USERNAME,
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }  # fmt: skip

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        limit = int(params.get("limit", 100) or 100)
        deadline = time.monotonic() + (0 if self.ignore_long_poll else min(timeout, 30))
        while True:
            with self._lock:
                if offset and not self.ignore_offset:
                    # Like Telegram: an offset confirms the updates already delivered
                    # before it (a new update may have a lower id: Telegram restarts ids
                    # at random after a week without updates).
                    self._updates = [
                        u for u in self._updates
                        if u["update_id"] >= offset or id(u) not in self._delivered
                    ]  # fmt: skip
                pending = self._updates[:limit]
                self._delivered.update(id(u) for u in pending)
            if pending or time.monotonic() >= deadline:
                return pending
            assert self._new_update is not None
            self._new_update.clear()
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    def _message_result(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        with self._lock:
            message_id = self._next_message_id
            self._next_message_id += 1
        chat_id = int(params.get("chat_id", 0))
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "PTSD info"},
            **extra,
        }

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        result = self._message_result(params, text=params.get("text", ""))
        return {"message_id": result["message_id"]} if self.minimal_results else result

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        return self._message_result(params, text="(menu)")

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    # --- feeding updates ------------------------------------------------------------------

    def push(self, body: dict[str, Any], update_id: int | None = None) -> int:
        """Queue one update (``body`` without update_id); returns its update_id."""
        with self._lock:
            if update_id is None:
                update_id = self._next_update_id
                self._next_update_id += 1
            self._updates.append({"update_id": update_id, **body})
        if self._loop and self._new_update:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update_id

    @staticmethod
    def message(
        chat_id: int, language_code: str | None = "en", chat_type: str = "private", **content: Any
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": chat_id if chat_id > 0 else 777, "is_bot": False,
                                "first_name": "Pat"}  # fmt: skip
        if language_code:
            user["language_code"] = language_code
        message = {
            "message_id": int(time.time() * 1000) % 1_000_000,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": user,
            **content,
        }
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return message

    def push_text(self, chat_id: int, text: str, language_code: str | None = "en", **kw: Any) -> int:
        return self.push({"message": self.message(chat_id, language_code, text=text, **kw)})

    def push_callback(self, chat_id: int, data: str, language_code: str | None = "en") -> int:
        return self.push(
            {
                "callback_query": {
                    "id": f"cb{time.monotonic_ns()}",
                    "from": {"id": chat_id, "is_bot": False, "first_name": "Pat",
                             "language_code": language_code},
                    "chat_instance": "ci",
                    "data": data,
                    "message": {
                        "message_id": 1, "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "PTSD info"},
                        "text": "(menu)",
                    },
                }
            }
        )  # fmt: skip

    # --- reading what the bot did -----------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        return [c.params for c in self.calls_of("sendMessage") if int(c.params["chat_id"]) == chat_id]

    def sent_texts(self, chat_id: int) -> list[str]:
        return [p["text"] for p in self.sent(chat_id)]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 20.0) -> list[str]:
        self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout,
                      f"{count} message(s) to chat {chat_id}")
        return self.sent_texts(chat_id)

    def settle(
        self, chat_id: int, quiet: float = 1.0, timeout: float = 20.0, at_least: int = 1
    ) -> list[str]:
        """Wait for ``at_least`` messages to ``chat_id``, then until none came for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        self.wait_sent(chat_id, at_least, timeout)
        count, since = len(self.sent(chat_id)), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = len(self.sent(chat_id))
            if now != count:
                count, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return self.sent_texts(chat_id)


@pytest.fixture
def fake_api() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI()
    api.start()
    yield api
    api.stop()


@dataclasses.dataclass
class BridgeProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return int(self.process.returncode)


def bridge_env(settings: Settings, api: FakeBotAPI, state_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(to_env(settings))
    env.update(
        {
            "BOT_STATE_DIR": str(state_dir),
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.base_url,
            "TELEGRAM_WEBHOOK_SECRET": "",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@contextmanager
def run_bridge(
    env: dict[str, str], args: list[str], log_path: Path, ready: Callable[[], Any], timeout: float = 60
) -> Iterator[BridgeProcess]:
    """``python -m bot telegram ARGS`` until the block ends; ``ready`` says it is up."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "telegram", *args],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    bridge = BridgeProcess(process, log_path)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None:
                raise AssertionError(f"bridge exited with {process.returncode}:\n{bridge.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"bridge not ready after {timeout}s:\n{bridge.log()}")
            time.sleep(0.05)
        yield bridge
    finally:
        bridge.stop()
        # Shown by pytest only when the test failed.
        print(f"--- bridge log ({' '.join(args) or 'polling'}) ---\n{bridge.log()}")


class FakeRasa:
    """Rasa's REST channel, scripted: ``reply`` maps a request body to (status, JSON, delay).

    For what a real Rasa cannot easily be made to do (a 10,000-character answer, an
    empty answer, a hang); everything else runs against the real stack.
    """

    def __init__(self, reply: Callable[[dict[str, Any]], tuple[int, Any, float]]) -> None:
        self.reply = reply
        self.port = _free_port()
        self.requests: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="fake-rasa", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Rasa did not start")

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        _run_to_end(self._loop, self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        status, payload, delay = self.reply(body)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(payload, status=status)


@contextmanager
def fake_rasa(reply: Callable[[dict[str, Any]], tuple[int, Any, float]]) -> Iterator[FakeRasa]:
    server = FakeRasa(reply)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """A Rasa URL where nothing listens (Rasa down)."""
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture
def start_fake_rasa() -> Iterator[Callable[..., FakeRasa]]:
    """Factory: ``start_fake_rasa(reply)`` -> a running FakeRasa, stopped after the test."""
    servers: list[FakeRasa] = []

    def start(reply: Callable[[dict[str, Any]], tuple[int, Any, float]]) -> FakeRasa:
        server = FakeRasa(reply)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def launch(
    fake_api: FakeBotAPI, tmp_path: Path
) -> Iterator[Callable[..., BridgeProcess]]:
    """Factory: ``launch(rasa_url, *args, settings=None, ready=None, **env)`` starts
    ``python -m bot telegram`` against ``fake_api`` and stops it after the test.

    Ready (by default) once it long-polls; pass ``ready`` for webhook mode.
    """
    from bot import settings as settings_module

    contexts: list[Any] = []

    def start(
        rasa_url: str,
        *args: str,
        settings: Settings | None = None,
        ready: Callable[[], Any] | None = None,
        **env: str,
    ) -> BridgeProcess:
        state = tmp_path / "state"
        base = settings or dataclasses.replace(
            settings_module.load(),
            state_dir=state,
            # Never the developer's var/ databases (/forget erases in them).
            tracker_db_url=f"sqlite:///{state / 'tracker.db'}",
            audit_db_url=f"sqlite:///{state / 'audit.db'}",
        )
        base = dataclasses.replace(base, rasa_url=rasa_url)
        environment = bridge_env(base, fake_api, base.state_dir, **env)
        log_path = tmp_path / f"telegram-{len(contexts)}.log"
        cm = run_bridge(
            environment, list(args), log_path,
            ready or (lambda: fake_api.calls_of("getUpdates")),
        )  # fmt: skip
        bridge = cm.__enter__()
        contexts.append(cm)
        return bridge

    yield start
    for cm in reversed(contexts):
        cm.__exit__(None, None, None)
