"""Closed-loop conversations over the REST channel, with latency percentiles.

``concurrency`` workers each take the next conversation and send its messages one
after another, the next only after the reply to the previous one (a closed loop, as a
person waits for the answer). With ``think_seconds`` > 0 each worker pauses a random,
exponentially distributed time of that mean before each message, like a person reading
and typing; with 0 it sends at once (the stress case: by Little's law the latency at
N workers is then N / throughput, whatever the per-message cost).

Timing is wall-clock around one request on the client (same machine, loopback).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench._texts import Message
from bot.rasa_client import BotMessage, RasaClient, RasaUnavailable

Check = Callable[[Message, list[BotMessage]], bool]


@dataclass
class RunResult:
    label: str
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    unexpected: int = 0  # answered, but not with the kind of reply the check expects
    wall_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        values = sorted(self.latencies_ms)
        sent = len(values) + sum(self.errors.values())
        return {
            "label": self.label,
            "concurrency": self.concurrency,
            "messages": sent,
            "answered": len(values),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "unexpected_replies": self.unexpected,
            "p50_ms": percentile(values, 50),
            "p95_ms": percentile(values, 95),
            "p99_ms": percentile(values, 99),
            "max_ms": values[-1] if values else None,
            "mean_ms": sum(values) / len(values) if values else None,
            "throughput_per_s": len(values) / self.wall_seconds if self.wall_seconds else None,
        }


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return None
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


async def run_conversations(
    urls: str | Sequence[str],
    conversations: list[list[Message]],
    concurrency: int,
    check: Check,
    label: str,
    sender_prefix: str,
    think_seconds: float = 0.0,
    timeout: float = 30.0,
    seed: int = 1,
) -> RunResult:
    result = RunResult(label, concurrency)
    queue: asyncio.Queue[tuple[int, list[Message]]] = asyncio.Queue()
    for index, conversation in enumerate(conversations):
        queue.put_nowait((index, conversation))
    rng = random.Random(seed)

    async def worker(client: RasaClient) -> None:
        while True:
            try:
                index, conversation = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            sender = f"{sender_prefix}-{index}"
            for message in conversation:
                if think_seconds > 0:
                    await asyncio.sleep(rng.expovariate(1 / think_seconds))
                started = time.perf_counter()
                try:
                    replies = await client.send(sender, message.text, {"locale": message.locale})
                except RasaUnavailable as error:
                    result.errors[str(error).split(" ")[0] or "unavailable"] += 1
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if not replies or not replies[0].text:
                    result.errors["empty reply"] += 1
                    continue
                result.latencies_ms.append(elapsed)
                if not check(message, replies):
                    result.unexpected += 1

    async with RasaClient(urls, timeout=timeout) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        result.wall_seconds = time.perf_counter() - started
    return result


def plan(pool: list[Message], concurrency: int, messages: int, turns: int, seed: int) -> list[list[Message]]:
    """Enough conversations of ``turns`` messages for about ``messages`` in total,
    at least one per worker."""
    from bench._texts import conversations

    count = max(concurrency, -(-messages // turns))
    return conversations(pool, count, turns, seed)
