"""Build the python-telegram-bot Application and run it, start to stop.

We drive the Application ourselves (``initialize``/``start``/``stop``/``shutdown``)
instead of ``run_polling``/``run_webhook``: polling is our own loop (see
``polling``), webhook mode is an aiohttp server (PTB's needs tornado, which the
base package does not install), and shutdown has to drain the queue, confirm the
last updates and close the Rasa client in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder
from telegram.warnings import PTBUserWarning

import safety
from bot.audit.channel import ChannelAudit
from bot.channels.telegram.conversation import Bridge
from bot.channels.telegram.dialogue import DialogueStates
from bot.channels.telegram.erasure import Eraser, audit_eraser
from bot.channels.telegram.errors import describe_exception
from bot.channels.telegram.handlers import register
from bot.channels.telegram.memory import ChatMemory
from bot.channels.telegram.polling import ALLOWED_UPDATES, Poller
from bot.channels.telegram.prefs import PrefsStore
from bot.channels.telegram.processor import PerChatUpdateProcessor
from bot.channels.telegram.rasa_bridge import RasaForwarder
from bot.channels.telegram.ratelimit import RateLimiter
from bot.channels.telegram.sending import ReplySender
from bot.channels.telegram.webhook import WebhookServer, new_secret, parse_listen, valid_secret
from bot.rasa_client import RasaClient
from bot.settings import Settings

__all__ = ["WebhookConfig", "build_application", "run", "api_host", "normalise_api_url"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookConfig:
    url: str  # public HTTPS URL Telegram posts to
    host: str  # where our server listens
    port: int
    secret: str


def api_host(url: str) -> str:
    """A base URL without anything secret, for log lines (the first of a replica list)."""
    parts = urlsplit(url.split(",")[0].strip())
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


def normalise_api_url(url: str) -> str:
    """TELEGRAM_API_URL as python-telegram-bot wants it: the token is appended directly.

    "https://api.telegram.org/bot" is the documented form; a trailing slash, or a bare
    server address without "/bot", would otherwise give ".../bot/TOKEN" or "hostTOKEN".
    """
    url = url.strip()
    if "{token}" in url:
        return url
    url = url.rstrip("/")
    if urlsplit(url).path in {"", "/"}:
        url += "/bot"
    return url


def _file_url(base_url: str) -> str:
    # https://api.telegram.org/bot -> https://api.telegram.org/file/bot (same for a local server)
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("/bot") else base_url


def build_application(
    settings: Settings, eraser: Eraser | None = None
) -> tuple[Application, Bridge]:  # type: ignore[type-arg]
    api_url = normalise_api_url(settings.telegram_api_url)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(api_url)
        .base_file_url(_file_url(api_url))
        .updater(None)
        .job_queue(None)  # not used; APScheduler is Rasa's pin, not PTB's
        .concurrent_updates(PerChatUpdateProcessor())
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(15)
        .pool_timeout(10)
        .build()
    )
    memory = ChatMemory()
    bridge = Bridge(
        settings=settings,
        forwarder=RasaForwarder(
            RasaClient(settings.rasa_url, timeout=settings.rasa_timeout_seconds),
            timeout=settings.rasa_timeout_seconds,
            default_region=settings.default_region,
        ),
        prefs=PrefsStore(settings.state_dir / "telegram.db"),
        memory=memory,
        limiter=RateLimiter(settings.telegram_rate_limit, settings.telegram_rate_window_seconds),
        dialogues=DialogueStates(),
        eraser=eraser or audit_eraser(settings),
        sender=ReplySender(application.bot, memory),
        bot=application.bot,
        audit=ChannelAudit(settings),
    )
    register(application, bridge)
    return application, bridge


def webhook_config(settings: Settings, url: str, listen: str | None) -> WebhookConfig:
    """Check the --webhook options; raises ValueError with a message for the user."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"--webhook needs an http(s) URL, got {url!r}")
    host, port = parse_listen(listen or settings.telegram_webhook_listen)
    secret = settings.telegram_webhook_secret
    if secret and not valid_secret(secret):
        raise ValueError(
            "TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (1-256 characters)"
        )
    if not secret:
        secret = new_secret()
        log.info("TELEGRAM_WEBHOOK_SECRET is not set: generated a random secret for this run")
    return WebhookConfig(url=url, host=host, port=port, secret=secret)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep, but wake up on stop; True if stop was requested."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


def _warm_up_safety() -> float:
    """Load the screen's data now, not on the first message that needs the fail-safe."""
    started = time.monotonic()
    for sample, locale in (("hello", "en-GB"), ("здравствуйте", "ru")):
        safety.compose_reply(safety.screen(sample, locale=locale))
        where = safety.resolve_locale(locale)
        safety.compose_unavailable(where.lang, where.region)
    return time.monotonic() - started


async def _initialize(application: Application, settings: Settings, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """getMe until it works. False: the token was rejected (or we were asked to stop)."""
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            # PTB's message quotes the token: never log it.
            log.error(
                "the Bot API at %s rejected TELEGRAM_BOT_TOKEN (or TELEGRAM_API_URL is wrong)",
                api_host(settings.telegram_api_url),
            )
            return False
        except (NetworkError, RetryAfter) as exc:
            log.warning("Bot API at %s not reachable (%s); retrying in %.0fs",
                        api_host(settings.telegram_api_url), type(exc).__name__, delay)
        except TelegramError as exc:
            log.warning("getMe failed (%s); retrying in %.0fs", type(exc).__name__, delay)
        if await _wait(stop, delay):
            return False
        delay = min(delay * 2, 30.0)
    return False


async def _set_webhook(application: Application, config: WebhookConfig, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    delay = 1.0
    while not stop.is_set():
        try:
            await application.bot.set_webhook(
                config.url,
                secret_token=config.secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
            return True
        except RetryAfter as exc:
            log.warning("setWebhook: flood control (%s); retrying", type(exc).__name__)
        except (BadRequest, Forbidden, InvalidToken) as exc:
            # A wrong URL or token will not get better by retrying.
            log.error("setWebhook refused: %s", exc.message[:200])
            return False
        except NetworkError as exc:  # includes TimedOut
            log.warning("setWebhook failed (%s); retrying in %.0fs", type(exc).__name__, delay)
        except TelegramError as exc:
            log.error("setWebhook refused: %s", exc.message[:200])
            return False
        if await _wait(stop, delay):
            return False
        delay = min(delay * 2, 30.0)
    return False


async def run(
    settings: Settings,
    webhook: WebhookConfig | None = None,
    eraser: Eraser | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run the bridge until SIGINT/SIGTERM (or ``stop`` is set). Returns an exit code."""
    # Our poller reads getUpdates raw on purpose (see polling.py); PTB would nag about it.
    warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)

    application, bridge = build_application(settings, eraser)
    bridge.prefs.open()
    poller: Poller | None = None
    poll_task: asyncio.Task[None] | None = None
    server: WebhookServer | None = None
    started = False
    try:
        try:
            took = await asyncio.to_thread(_warm_up_safety)
            log.info("safety screen loaded in %.1fs", took)
        except Exception as exc:
            # Keep serving (Rasa screens too), but this is the fail-safe itself breaking.
            log.critical("the safety screen fails (%s): the fail-safe may not work",
                         describe_exception(exc))
        if not await _initialize(application, settings, stop):
            return 0 if stop.is_set() else 1
        await application.start()
        started = True
        who = f"@{application.bot.username}" if application.bot.username else "the bot"
        if webhook is None:
            poller = Poller(application.bot, application.update_queue)
            await poller.remove_webhook()
            poll_task = asyncio.create_task(poller.run(), name="telegram-poller")
            log.info("Telegram bridge ready: %s, long polling %s, Rasa at %s", who,
                     api_host(settings.telegram_api_url), api_host(settings.rasa_url))
        else:
            path = urlsplit(webhook.url).path or "/"
            from bot.web.health import RasaProbe

            server = WebhookServer(
                application.bot, application.update_queue, webhook.secret,
                webhook.host, webhook.port, path,
                rasa=RasaProbe(settings.rasa_url, "Rasa unreachable: fail-safe replies in use"),
                sender=bridge.sender,
            )
            try:
                await server.start()
            except OSError as exc:
                log.error("cannot listen on %s:%d (%s)", webhook.host, webhook.port, exc.strerror)
                return 1
            if not await _set_webhook(application, webhook, stop):
                return 0 if stop.is_set() else 1
            log.info("Telegram bridge ready: %s, webhook %s, listening on %s:%d, Rasa at %s",
                     who, api_host(webhook.url), webhook.host, webhook.port,
                     api_host(settings.rasa_url))
        await stop.wait()
        log.info("stopping")
    finally:
        if poll_task is not None:
            poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poll_task
        if server is not None:
            await server.stop()
        if started:
            await application.stop()  # answers what is already queued
        if poller is not None:
            await poller.confirm()
        with contextlib.suppress(Exception):
            await application.shutdown()
        await bridge.forwarder.aclose()
        bridge.prefs.close()
        if bridge.audit is not None:
            await asyncio.to_thread(bridge.audit.close)  # writes what is still spooled
    return 0
