"""Long polling: fetch updates with getUpdates and put them on the Application's queue.

Our own loop instead of ``Updater.start_polling`` because:

- each update is parsed on its own (``updates.parse_updates``), so one malformed
  update neither stalls the batch nor gets its raw text logged;
- removing a webhook at start is best effort: a Bot API that does not know
  ``deleteWebhook`` (a minimal self-hosted or test server) must not stop the bridge;
- errors back off and retry forever: a Telegram outage must not kill the bridge,
  which would take ``make run``'s other processes down with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from typing import Any

from telegram import Bot
from telegram.error import (
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels.telegram.errors import describe_exception
from bot.channels.telegram.updates import parse_updates

__all__ = ["Poller", "ALLOWED_UPDATES", "POLL_TIMEOUT"]

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "edited_channel_post", "callback_query"]
POLL_TIMEOUT = 10  # seconds Telegram may hold a getUpdates request open
_MIN_POLL_INTERVAL = 0.3  # if a server answers long polls at once, do not spin
_MAX_BACKOFF = 30.0
_SEEN_SIZE = 2000


def _seconds(retry_after: Any) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)


class Poller:
    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        timeout: int = POLL_TIMEOUT,
        allowed_updates: list[str] | None = None,
    ) -> None:
        self._bot = bot
        self._queue = queue
        self._timeout = timeout
        self._allowed = allowed_updates or ALLOWED_UPDATES
        self._offset: int | None = None
        self._seen: OrderedDict[int, str] = OrderedDict()  # update_id -> content digest
        self.polls = 0  # completed getUpdates calls (for tests and health)

    async def remove_webhook(self) -> None:
        """getUpdates refuses to work while a webhook is set; remove it if the API can."""
        try:
            await self._bot.delete_webhook(drop_pending_updates=False)
        except (NetworkError, RetryAfter) as exc:
            log.warning("deleteWebhook failed (%s); polling anyway", type(exc).__name__)
        except TelegramError as exc:
            log.warning("deleteWebhook not available (%s); polling anyway", type(exc).__name__)

    async def _get_updates(self, timeout: int, limit: int | None = None) -> object:
        kwargs: dict[str, Any] = {"timeout": timeout, "allowed_updates": self._allowed}
        if self._offset is not None:
            kwargs["offset"] = self._offset
        if limit is not None:
            kwargs["limit"] = limit
        # do_api_request returns the raw JSON, which parse_updates reads update by update.
        return await self._bot.do_api_request(
            "getUpdates", api_kwargs=kwargs, read_timeout=timeout + 10, connect_timeout=10
        )

    async def run(self) -> None:
        """Poll until cancelled."""
        failures = 0
        while True:
            started = time.monotonic()
            try:
                raw = await self._get_updates(self._timeout)
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                log.warning("getUpdates: flood control, waiting %.0fs", wait)
                await asyncio.sleep(wait)
                continue
            except Conflict:
                # Another bridge polls with the same token, or someone set a webhook.
                log.error("getUpdates conflict: another instance is polling, or a webhook is set")
                failures += 1
                await asyncio.sleep(min(_MAX_BACKOFF, 2.0 * failures))
                continue
            except (InvalidToken, Forbidden) as exc:
                log.error("getUpdates refused (%s): is TELEGRAM_BOT_TOKEN still valid?",
                          type(exc).__name__)
                await asyncio.sleep(_MAX_BACKOFF)
                continue
            except NetworkError as exc:  # includes TimedOut
                failures += 1
                wait = min(_MAX_BACKOFF, 0.5 * 2**failures)
                log.warning("getUpdates failed (%s); retrying in %.1fs", type(exc).__name__, wait)
                await asyncio.sleep(wait)
                continue
            except Exception as exc:
                failures += 1
                wait = min(_MAX_BACKOFF, 0.5 * 2**failures)
                log.error("getUpdates failed (%s); retrying in %.1fs",
                          describe_exception(exc), wait)
                await asyncio.sleep(wait)
                continue
            failures = 0
            self.polls += 1
            raw = self._drop_repeats(raw)
            updates, highest = parse_updates(raw, self._bot)
            if highest is not None:
                # Past every update of this batch, readable or not. Not max() with the old
                # offset: after a week without updates Telegram restarts ids at random.
                self._offset = highest + 1
            for update in updates:
                await self._queue.put(update)
            if not updates and time.monotonic() - started < _MIN_POLL_INTERVAL:
                await asyncio.sleep(_MIN_POLL_INTERVAL)

    def _drop_repeats(self, raw: object) -> object:
        """Skip an update the server sends again unchanged (same id, same content).

        Telegram does not repeat confirmed updates, but a Bot API that mishandles the
        offset would get every message answered again and again. Comparing content as
        well as id keeps a genuinely new update that reuses an old id (a restarted
        server, Telegram's random restart of ids) from being dropped.
        """
        if not isinstance(raw, list):
            return raw
        kept = []
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if isinstance(update_id, int):
                digest = hashlib.sha256(
                    json.dumps(item, sort_keys=True, default=str).encode("utf-8", "replace")
                ).hexdigest()
                if self._seen.get(update_id) == digest:
                    log.warning("update %d sent again by the Bot API: skipped", update_id)
                    continue
                self._seen[update_id] = digest
                while len(self._seen) > _SEEN_SIZE:
                    self._seen.popitem(last=False)
            kept.append(item)
        return kept

    async def confirm(self) -> None:
        """Tell Telegram the updates fetched so far are handled (else they come again)."""
        if self._offset is None:
            return
        try:
            await self._get_updates(timeout=0, limit=1)
        except Exception as exc:
            log.warning("could not confirm the last updates (%s)", type(exc).__name__)
