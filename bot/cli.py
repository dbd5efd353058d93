"""Command line of the runtime. Each subcommand imports only what it needs."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import time

from bot import settings as settings_module

__all__ = ["main"]

# Subcommands owned by a feature package, which parses its own arguments.
_DELEGATED = {
    "audit": ("bot.audit.cli", "clinician audit log: users, list, show, export, verify, erase, purge"),
    "telegram": ("bot.channels.telegram.cli", "run the Telegram bridge (long polling or --webhook URL)"),
}


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.preflight import problems
    from bot.runner import Stack, StartupError

    if args.profile:
        os.environ["BOT_PROFILE"] = args.profile
    settings = settings_module.load()
    found = problems(settings)
    if found:
        for problem in found:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    if args.replicas > 1 and not settings.lock_store_url:
        print(
            "error: several replicas need a shared lock store: set LOCK_STORE_URL "
            "(e.g. redis://127.0.0.1:6379/1) or use --profile production",
            file=sys.stderr,
        )
        return 1
    if args.replicas > 1 and settings.tracker_db_url.startswith("sqlite"):
        print(
            "warning: several replicas on one SQLite tracker database work for local trials "
            "only; use PostgreSQL (--profile production) for a real deployment",
            file=sys.stderr,
        )
    stack = Stack(settings, replicas=args.replicas, with_web=not args.no_web)
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n==> Interrupted during start-up; stopping", flush=True)
        stack.stop()
        return 130
    base = f"http://127.0.0.1:{settings.rasa_port}"
    print(
        "\n==> The assistant is running.\n"
        f"    REST:      POST {base}/webhooks/rest/webhook  "
        '{"sender": "me", "message": "hello", "metadata": {"locale": "en-GB"}}\n'
        f"    Terminal:  .venv/bin/python -m bot chat\n"
        + (f"    Web:       http://localhost:{settings.web_port}/  (clinician pages: /audit/)\n" if not args.no_web else "")
        + (f"    Replicas:  ports {', '.join(map(str, stack.rasa_ports))}\n" if args.replicas > 1 else "")
        + f"    Logs:      {settings.logs_dir}\n"
        "    Press Ctrl-C to stop everything.",
        flush=True,
    )
    reported: set[str] = set()
    try:
        while not stopping:
            for service in stack.dead_services():
                if service.name in reported:
                    continue
                reported.add(service.name)
                print(f"error: {service.name} stopped unexpectedly; last lines of {service.log_path}:\n{service.log_tail()}", file=sys.stderr)
            if any(s.critical for s in stack.dead_services()):
                stack.stop()
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    print("\n==> Stopping...", flush=True)
    stack.stop()
    print("==> Stopped.", flush=True)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.training import ensure_model, model_path

    settings = settings_module.load()
    if args.force:
        model_path(settings.models_dir, args.epochs).unlink(missing_ok=True)
    ensure_model(settings, epochs=args.epochs)
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    settings = settings_module.load()
    return run_chat(args.url or settings.rasa_url, locale=args.locale, sender=args.sender)


def _cmd_web(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiohttp's access log lines carry query strings (audit search filters are health
    # data); keep them out of the INFO log.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    settings = settings_module.load()
    web.run_app(create_app(settings), host=args.host, port=args.port or settings.web_port, print=None)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    if args.what == "answers":
        from bot.evaluation.answers import main as answers_main

        return answers_main(args.rest)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="train if needed and start every process")
    run.add_argument("--replicas", type=int, default=1, help="Rasa servers on consecutive ports")
    run.add_argument("--no-web", action="store_true", help="do not start the web app on port 8080")
    run.add_argument(
        "--profile", choices=settings_module.PROFILES, default=None,
        help="production: PostgreSQL tracker store and audit log, Redis lock store (see README)",
    )
    run.set_defaults(func=_cmd_run)

    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--epochs", type=int, default=None, help="cap epochs (quick test model)")
    train.add_argument("--force", action="store_true", help="retrain even if a model exists")
    train.set_defaults(func=_cmd_train)

    chat = sub.add_parser("chat", help="talk to the running server in this terminal")
    chat.add_argument("--url", help="Rasa server URL (default from RASA_URL)")
    chat.add_argument("--locale", default=None, help="e.g. en-GB, ru, de-DE")
    chat.add_argument("--sender", default=None, help="conversation id (default: a new one)")
    chat.set_defaults(func=_cmd_chat)

    web = sub.add_parser("web", help="serve the widget demo page and the clinician pages")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=None)
    web.set_defaults(func=_cmd_web)

    evaluate = sub.add_parser("eval", help="evaluations against the running server")
    evaluate.add_argument("what", choices=["answers"])
    evaluate.add_argument("rest", nargs=argparse.REMAINDER)
    evaluate.set_defaults(func=_cmd_eval)

    for name, (_, help_text) in _DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str]) -> int:
    if argv and argv[0] in _DELEGATED:
        module = importlib.import_module(_DELEGATED[argv[0]][0])
        return int(module.main(argv[1:]) or 0)
    args = _parser().parse_args(argv)
    return int(args.func(args) or 0)
