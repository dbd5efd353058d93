"""``python -m bot.action_server``: rasa_sdk's endpoints unchanged, plus ``/healthz``.

The launcher is started as a real process on a free loopback port (as ``bot.runner``
starts it); the "knowledge base cannot load" case runs in-process against an empty
knowledge directory, since the real process always reads the repo's.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from actions.knowledge import KnowledgeBase
from bot.action_server import KnowledgeCheck, _actions_check, build_app, declared_actions
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.timeout(120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _action_call(action: str, text: str = "what is ptsd", intent: str = "ask_ptsd") -> dict:
    return {
        "next_action": action,
        "sender_id": "health-test",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "health-test",
            "slots": {"lang": "en"},
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 1.0}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("actions") / "actions.log"


@pytest.fixture(scope="module")
def server(server_log: Path) -> Iterator[str]:
    port = _free_port()
    log_path = server_log
    env = dict(os.environ, SANIC_HOST="127.0.0.1")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server", "--actions", "actions", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise AssertionError(f"launcher exited:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"launcher not up:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def test_health_is_rasa_sdks_own(server):
    reply = httpx.get(f"{server}/health", timeout=5)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_webhook_runs_an_action_call_as_before(server):
    reply = httpx.post(f"{server}/webhook", json=_action_call("action_answer_question"), timeout=30)
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"events", "responses"}
    texts = [r.get("text") or "" for r in body["responses"]]
    assert texts and any(texts)
    # An answer always carries its citation (the knowledge base's sources).
    sources = KnowledgeBase.load().sources.values()
    assert any(s.citation("en") in t for s in sources for t in texts)


def test_webhook_unknown_action_is_404_as_before(server):
    reply = httpx.post(f"{server}/webhook", json=_action_call("action_nobody_wrote"), timeout=10)
    assert reply.status_code == 404
    assert reply.json()["action_name"] == "action_nobody_wrote"


def test_healthz_reports_ready_with_actions_and_knowledge_in_both_languages(server):
    reply = httpx.get(f"{server}/healthz", timeout=5)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ready", body
    assert body["reasons"] == []
    assert set(body["checks"]) == {"actions", "knowledge"}
    assert set(body["checks"]["actions"]["registered"]) >= declared_actions()
    assert declared_actions() >= {"action_answer_question", "action_list_sources"}
    snippets = body["checks"]["knowledge"]["snippets"]
    assert snippets["en"] > 0 and snippets["ru"] > 0


def test_actions_endpoint_unchanged(server):
    reply = httpx.get(f"{server}/actions", timeout=5)
    assert reply.status_code == 200
    assert {a["name"] for a in reply.json()} >= {"action_answer_question", "action_list_sources"}


def test_knowledge_that_cannot_load_is_down_and_retried_later(tmp_path: Path):
    empty = tmp_path / "knowledge"
    empty.mkdir()
    shutil.copy(PROJECT_ROOT / "data" / "knowledge" / "sources.yml", empty / "sources.yml")
    check = KnowledgeCheck(empty)
    result = check.run()
    assert result["status"] == "down"
    assert result["reasons"] and "knowledge base failed to load" in result["reasons"][0]
    # Not reloaded on every poll.
    (empty / "extra.yml").write_text("snippets: []\n", encoding="utf-8")
    assert check.run() == result


async def test_healthz_is_503_when_the_knowledge_base_is_down(tmp_path: Path):
    app = build_app("actions", knowledge=KnowledgeCheck(tmp_path))
    route = next(r for r in app.router.routes if r.path == "healthz")
    reply = await route.handler(None)
    assert reply.status == 503
    body = json.loads(reply.body)
    assert body["status"] == "down"
    assert body["checks"]["actions"]["status"] == "ready"
    assert body["checks"]["knowledge"]["status"] == "down"


def test_actions_check_down_without_actions_and_degraded_when_one_is_missing():
    assert _actions_check([], {"action_a"})["status"] == "down"
    missing = _actions_check(["action_a"], {"action_a", "action_b"})
    assert missing["status"] == "degraded"
    assert "action_b" in missing["reasons"][0]
    assert _actions_check(["action_a", "action_b"], {"action_a"})["status"] == "ready"


def test_a_failing_action_call_does_not_echo_the_conversation(server, server_log):
    """rasa_sdk's own 500 reply carries the whole request body (the patient's words)."""
    call = _action_call("action_answer_question", text="secret words of a patient")
    call["tracker"]["latest_message"] = "secret words of a patient"  # not a dict: the action fails
    reply = httpx.post(f"{server}/webhook", json=call, timeout=30)
    assert reply.status_code == 500
    assert "secret words" not in reply.text
    assert reply.json() == {"error": reply.json()["error"]} and reply.json()["error"]
    log = server_log.read_text(encoding="utf-8", errors="replace")
    assert "action call failed" in log and "secret words" not in log
