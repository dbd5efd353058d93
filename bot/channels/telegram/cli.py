"""``python -m bot telegram [--webhook URL] [--listen HOST:PORT] [--verbose]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot import settings as settings_module

__all__ = ["main"]

_DESCRIPTION = """\
Run the Telegram bridge. Without --webhook it long-polls the Bot API (no public HTTPS
needed). With --webhook URL it registers URL with Telegram and serves it on
TELEGRAM_WEBHOOK_LISTEN (default 127.0.0.1:8443) behind your HTTPS reverse proxy.
Settings: TELEGRAM_BOT_TOKEN (required), TELEGRAM_API_URL, TELEGRAM_WEBHOOK_SECRET,
RASA_URL, RASA_TIMEOUT_SECONDS, TELEGRAM_RATE_LIMIT, TELEGRAM_RATE_WINDOW_SECONDS.
See docs/telegram.md."""


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # python-telegram-bot's DEBUG records print whole updates (message text included):
    # keep them off even with --verbose, which is for our own modules.
    logging.getLogger("telegram").setLevel(logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    from bot.channels.telegram.errors import RedactTelegramData

    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactTelegramData())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot telegram",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--webhook", metavar="URL", help="public HTTPS URL for Telegram's webhook")
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="webhook server address (default TELEGRAM_WEBHOOK_LISTEN)"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="debug logs of the bridge, with full tracebacks, which can quote message text: "
        "for development, not with real patients",
    )
    args = parser.parse_args(argv)
    settings = settings_module.load()
    if not settings.telegram_token:
        print(
            "error: TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram, "
            "then export TELEGRAM_BOT_TOKEN=<token> (see docs/telegram.md).",
            file=sys.stderr,
        )
        return 2
    if args.listen and not args.webhook:
        parser.error("--listen only makes sense with --webhook")
    _configure_logging(args.verbose)

    # Imported here: loading python-telegram-bot and the safety library takes a moment,
    # and `--help` or a missing token should answer at once.
    from bot.channels.telegram.app import run, webhook_config

    webhook = None
    if args.webhook:
        try:
            webhook = webhook_config(settings, args.webhook, args.listen)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        return asyncio.run(run(settings, webhook))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        return 130
