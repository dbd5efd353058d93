"""`python -m bot chat` against the running server, and its message when none runs."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def chat(url: str, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--url", url, *args],
        cwd=PROJECT_ROOT, input=stdin, capture_output=True, text=True, timeout=120,
    )


def test_terminal_chat_answers_and_offers_buttons(stack):
    result = chat(stack.settings.rasa_url, "tell me a joke\n1\n/quit\n", "--locale", "en-GB")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "bot> Sorry, that's outside what I can help with" in out
    assert "[1] What is PTSD?" in out
    # Choosing button 1 sent its payload: the PTSD overview with its citation.
    assert "Post-traumatic stress disorder (PTSD)" in out and "Source:" in out


def test_terminal_chat_says_when_the_server_is_not_running():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = chat(f"http://127.0.0.1:{port}", "hello\n")
    assert result.returncode == 0
    assert "is not answering" in result.stdout and "make run" in result.stdout
