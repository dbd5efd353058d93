"""Start, watch and stop the processes of the assistant.

``python -m bot run`` (and the end-to-end tests) use :class:`Stack`: it trains if
needed, starts the action server, one or more Rasa servers, the web app and (when a
token is set) the Telegram bridge, waits until each answers, and stops them all in
reverse order on Ctrl-C or when any of them dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.rasa_config import write_rasa_files
from bot.settings import PROJECT_ROOT, Settings, to_env
from bot.training import ensure_model, rasa_env

__all__ = ["Stack", "Service", "StartupError", "wait_for_http"]


class StartupError(RuntimeError):
    """A service did not come up; the message says which and where its log is."""


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    env: dict[str, str]
    startup_timeout: float = 180.0
    # A non-critical service that stops (e.g. Telegram rejecting the token) is reported,
    # but the assistant keeps serving its other channels.
    critical: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # time.monotonic() when the process was spawned (start-up figures in bench/).
    started_at: float | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.started_at = time.monotonic()
        # Own process group: Ctrl-C reaches the supervisor, which stops children in order.
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def warm_up_action_server(url: str) -> None:
    """Ask the action server to answer one question nobody sees: it loads the knowledge
    base (lemma tables, indexes) now instead of on a patient's first question."""
    import json

    call = {
        "next_action": "action_answer_question",
        "sender_id": "warm-up",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "warm-up",
            "slots": {"lang": "en"},
            "latest_message": {"text": "what is ptsd", "intent": {"name": "ask_ptsd", "confidence": 1.0}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
    request = urllib.request.Request(
        url, json.dumps(call).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60):  # noqa: S310 - loopback only
            pass
    except (urllib.error.URLError, OSError):
        pass  # a slow first answer is not a reason to stop start-up


def wait_for_http(
    url: str, timeout: float, alive: Callable[[], bool] = lambda: True, progress: bool = False
) -> None:
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    last_dot = started
    while time.monotonic() < deadline:
        if not alive():
            raise StartupError(f"process behind {url} exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status < 500:
                    if progress:
                        print(f" ready ({time.monotonic() - started:.0f}s)", flush=True)
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if progress and time.monotonic() - last_dot > 3:
            print(".", end="", flush=True)
            last_dot = time.monotonic()
        time.sleep(0.3)
    raise StartupError(f"{url} did not answer within {timeout:.0f}s")


class Stack:
    """The set of processes for one run of the assistant."""

    def __init__(
        self,
        settings: Settings,
        replicas: int = 1,
        epochs: int | None = None,
        models_dir: Path | None = None,
        with_web: bool = True,
        with_telegram: bool | None = None,
        with_actions: bool = True,
        extra_env: dict[str, str] | None = None,
        model: Path | None = None,
    ) -> None:
        self.settings = settings
        # A given model file is served as it is (benchmarks, tests of an older model);
        # otherwise the model for the current inputs, trained if missing.
        self.model = model
        self.replicas = replicas
        self.epochs = epochs
        self.models_dir = models_dir
        self.with_web = with_web
        self.with_actions = with_actions
        self.with_telegram = bool(settings.telegram_token) if with_telegram is None else with_telegram
        self.extra_env = extra_env or {}
        self.services: list[Service] = []

    @property
    def rasa_ports(self) -> list[int]:
        return [self.settings.rasa_port + i for i in range(self.replicas)]

    def _env(self) -> dict[str, str]:
        env = rasa_env(self.settings)
        env.update(to_env(self.settings))
        if self.replicas > 1:
            # The channels spread conversations over every replica (sticky per sender).
            env["RASA_URL"] = ",".join(f"http://127.0.0.1:{port}" for port in self.rasa_ports)
        env.update(self.extra_env)
        return env

    def _build_services(self, model: Path) -> list[Service]:
        s = self.settings
        env = self._env()
        logs = s.logs_dir
        endpoints, credentials = write_rasa_files(s)
        py = sys.executable
        services = []
        if self.with_actions:
            services.append(Service(
                "action server",
                # rasa_sdk's app plus /healthz (bot/action_server.py); it loads the
                # knowledge base before answering, so waiting on /healthz costs nothing.
                [py, "-m", "bot.action_server", "--actions", "actions", "--port", str(s.action_port)],
                f"http://127.0.0.1:{s.action_port}/healthz",
                logs / "actions.log",
                env,
                startup_timeout=60,
            ))
        for port in self.rasa_ports:
            command = [
                py, "-m", "bot.rasa_server", "run",
                "--model", str(model),
                "--endpoints", str(endpoints),
                "--credentials", str(credentials),
                "--port", str(port),
                "--interface", "127.0.0.1",
            ]
            if s.rasa_auth_token:
                # The HTTP API (tracker access, /model/parse, ...) stays off unless a token is set.
                command += ["--enable-api", "--auth-token", s.rasa_auth_token]
            name = "rasa" if self.replicas == 1 else f"rasa:{port}"
            # The health report answers 503 until the model is loaded and while the
            # replica runs without the project's tracker store or audit broker.
            services.append(
                Service(name, command, f"http://127.0.0.1:{port}/webhooks/health/", logs / f"rasa-{port}.log", env)
            )
        if self.with_web:
            services.append(
                Service(
                    "web app",
                    [py, "-m", "bot", "web"],
                    f"http://127.0.0.1:{s.web_port}/healthz",
                    logs / "web.log",
                    env,
                    startup_timeout=30,
                )
            )
        if self.with_telegram:
            services.append(
                Service(
                    "telegram bridge",
                    [py, "-m", "bot", "telegram"],
                    "",
                    logs / "telegram.log",
                    env,
                    critical=False,
                )
            )
        return services

    def start(self, progress: bool = True) -> None:
        model = self.model or ensure_model(self.settings, self.models_dir, self.epochs)
        self.services = self._build_services(model)
        try:
            for service in self.services:
                if progress:
                    print(f"==> Starting {service.name}", end="", flush=True)
                service.start()
                if service.health_url:
                    wait_for_http(
                        service.health_url, service.startup_timeout, service.alive, progress
                    )
                if service.name == "action server":
                    warm_up_action_server(self.settings.action_url)
                elif progress:
                    print(" started", flush=True)
        except StartupError as exc:
            failed = next((s for s in self.services if s.process and not s.alive()), None)
            detail = f"\n--- last lines of {failed.log_path} ---\n{failed.log_tail()}" if failed else ""
            self.stop()
            raise StartupError(f"{exc}{detail}") from exc

    def service(self, name: str) -> Service:
        """The service called ``name`` ("action server", "rasa" or "rasa:PORT", "web app")."""
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    def dead_services(self) -> list[Service]:
        return [s for s in self.services if not s.alive()]

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def __enter__(self) -> Stack:
        self.start(progress=False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
