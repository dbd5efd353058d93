"""End-to-end REST benchmark of the assistant: figures, not pass/fail.

Starts the whole stack with ``bot.runner.Stack`` (action server and one or more Rasa
servers; the full model from ``var/models``, trained first if needed), warms it up,
then runs closed-loop conversations (see ``bench/_load.py``) at 1, 10 and 50
concurrent conversations, separately for

* **crisis** messages: development crisis/emergency cases the screen flags; the reply
  is the in-server helpline reply;
* **content** questions: development treatment questions in English and Russian; the
  reply comes from the action server's knowledge base.

Prints a table of p50/p95/p99 per kind and concurrency with throughput and errors, the
load average at start and end, memory of each process, and writes
``var/bench/rest_bench.json`` and ``.png``. Exit code 1 if any message got no answer.

Run::

    .venv/bin/python bench/rest_bench.py                       # local profile (SQLite)
    .venv/bin/python bench/rest_bench.py --postgres --replicas 2  # PostgreSQL + Redis
    .venv/bin/python bench/rest_bench.py --think 2             # people pause ~2 s between messages

No message text is printed or written: only counts and timings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _load, _procs, _stack, _texts  # noqa: E402
from bot.rasa_client import BotMessage  # noqa: E402

TARGETS_MS = {"crisis": 50.0, "content": 150.0}  # p95 at 50 concurrent conversations
# The crisis reply names an emergency number and cites no source; an answer cites one
# (and its DOI may contain "112", hence the word boundaries).
EMERGENCY_NUMBER = re.compile(r"(?<![\d.])(999|112)(?![\d])")
CITATION = ("Source:", "Sources:", "Источник:", "Источники:")


def is_crisis_reply(message: _texts.Message, replies: list[BotMessage]) -> bool:
    first = replies[0].text
    return bool(EMERGENCY_NUMBER.search(first)) and not any(c in first for c in CITATION)


def is_content_reply(message: _texts.Message, replies: list[BotMessage]) -> bool:
    """An answer of the knowledge base (or its clarifying question), not the crisis
    reply and not the action-server-down fallback."""
    import safety

    first = replies[0].text
    lang = "ru" if message.locale.startswith("ru") else "en"
    return first != safety.compose_unavailable(lang, "UK") and not is_crisis_reply(message, replies)


CHECKS = {"crisis": is_crisis_reply, "content": is_content_reply}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--postgres", action="store_true",
                        help="PostgreSQL tracker store and audit (fresh database) + Redis lock store")
    parser.add_argument("--model", type=Path, default=None,
                        help="model file to serve (default: the full model for the current inputs)")
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--messages", type=int, default=300,
                        help="messages per kind and concurrency (at least 4 per conversation slot)")
    parser.add_argument("--turns", type=int, default=5, help="messages per conversation")
    parser.add_argument("--think", default="0,5",
                        help="mean pauses in seconds before each message, comma-separated: 0 is a "
                        "closed loop without pauses (stress), 5 is 50 people sending a message "
                        "every ~5 s (faster than anyone reads an answer and types)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="wait up to this long for a 1-minute load average below --quiet-load")
    parser.add_argument("--quiet-load", type=float, default=1.5)
    parser.add_argument("--out", type=Path, default=None, help="output directory (default var/bench)")
    parser.add_argument("--name", default="rest_bench", help="base name of the JSON and PNG files")
    parser.add_argument("--extra-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment for the servers (to measure a setting before/after)")
    return parser.parse_args(argv)


def _cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(_procs.cpu_seconds(pid) for pid in group) for name, group in pids.items()}


async def measure(
    urls: list[str], pools: dict[str, list[_texts.Message]], args: argparse.Namespace, run_id: str,
    pids: dict[str, list[int]],
) -> list[dict[str, Any]]:
    # Warm-up: TensorFlow, the knowledge base, connection pools, the databases.
    for kind, pool in pools.items():
        conversations = _load.plan(pool, 4, 40, args.turns, seed=99)
        await _load.run_conversations(urls, conversations, 4, CHECKS[kind], "warm-up", f"warm-{run_id}-{kind}")
    rows = []
    for think in [float(t) for t in str(args.think).split(",")]:
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            if think and concurrency == 1:
                continue  # one conversation never queues: the same as without pauses
            for kind, pool in pools.items():
                # Paced runs take think x turns per worker: fewer messages, same shape.
                messages = max(args.messages if not think else 150, concurrency * args.turns)
                conversations = _load.plan(pool, concurrency, messages, args.turns, seed=concurrency)
                cpu_before = _cpu(pids)
                result = await _load.run_conversations(
                    urls, conversations, concurrency, CHECKS[kind], kind,
                    f"bench-{run_id}-{kind}-{concurrency}-{think:g}", think_seconds=think,
                )
                cpu_after = _cpu(pids)
                row = {**result.summary(), "think_seconds": think}
                # Server CPU per answered message: steadier than wall time on a shared machine.
                row["cpu_ms_per_message"] = {
                    name: round(1000 * (cpu_after[name] - cpu_before[name]) / max(row["answered"], 1), 1)
                    for name in pids
                }
                rows.append(row)
                print(format_row(row), flush=True)
    return rows


HEADER = (
    f"{'kind':<8} {'conc':>4} {'think':>5} {'msgs':>5} {'err':>4} {'unexp':>5} "
    f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'msg/s':>7} {'cpu ms/msg':>10}"
)


def _ms(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else f"{'-':>8}"


def format_row(row: dict[str, Any]) -> str:
    rate = row["throughput_per_s"]
    return (
        f"{row['label']:<8} {row['concurrency']:>4} {row.get('think_seconds', 0):>5g} "
        f"{row['messages']:>5} {row['errors']:>4} "
        f"{row['unexpected_replies']:>5} {_ms(row['p50_ms'])} {_ms(row['p95_ms'])} "
        f"{_ms(row['p99_ms'])} {_ms(row['max_ms'])} {rate if rate is None else f'{rate:7.1f}'}"
        + (f" {row['cpu_ms_per_message'].get('rasa', 0):6.1f}+{row['cpu_ms_per_message'].get('actions', 0):.1f}"
           if row.get("cpu_ms_per_message") else "")
    )


def chart(rows: list[dict[str, Any]], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    thinks = sorted({r.get("think_seconds", 0) for r in rows})
    for ax, kind in zip(axes, ("crisis", "content"), strict=True):
        for think, line in zip(thinks, ("-", "--", ":"), strict=False):
            kind_rows = [r for r in rows if r["label"] == kind and r.get("think_seconds", 0) == think]
            xs = [r["concurrency"] for r in kind_rows]
            for key, marker in (("p50_ms", "o"), ("p95_ms", "s"), ("p99_ms", "^")):
                ax.plot(xs, [r[key] for r in kind_rows], marker + line,
                        label=f"{key.split('_')[0]}, pause {think:g} s")
        xs = sorted({r["concurrency"] for r in rows})
        ax.axhline(TARGETS_MS[kind], color="red", linestyle="--", linewidth=1,
                   label=f"target p95 {TARGETS_MS[kind]:.0f} ms")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([str(x) for x in xs])
        ax.set_xlabel("concurrent conversations")
        ax.set_ylabel("latency per message (ms)")
        ax.set_title(f"{kind} replies")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    from bot import settings as settings_module
    from bot.runner import Stack
    from bot.training import ensure_model

    out_dir = args.out or settings_module.load().state_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    state_dir = out_dir / f"rest-run-{run_id}"
    pools = {"crisis": _texts.crisis_messages(), "content": _texts.content_messages()}
    extra_env = dict(item.split("=", 1) for item in args.extra_env)
    model = args.model or ensure_model(settings_module.load())
    load_start = _procs.wait_for_quiet(args.quiet_load, args.wait_quiet)
    print(f"load average at start: {load_start} ({_procs.machine()['cpus']} CPUs)", flush=True)

    with contextlib.ExitStack() as cleanup:
        db = cleanup.enter_context(_stack.postgres_database()) if args.postgres else None
        settings = _stack.bench_settings(state_dir, args.replicas, db)
        cleanup.callback(shutil.rmtree, state_dir, True)
        stack = Stack(settings, replicas=args.replicas, with_web=False, with_telegram=False,
                      model=model, extra_env=extra_env)
        started = time.monotonic()
        stack.start(progress=False)
        cleanup.callback(stack.stop)
        startup_seconds = time.monotonic() - started
        urls = [f"http://127.0.0.1:{port}" for port in stack.rasa_ports]
        print(HEADER, flush=True)
        pids = {
            "rasa": [s.process.pid for s in stack.services if s.name.startswith("rasa") and s.process],
            "actions": [s.process.pid for s in stack.services if s.name == "action server" and s.process],
        }
        rows = asyncio.run(measure(urls, pools, args, run_id, pids))
        memory = {s.name: _procs.memory_mb(s.process.pid) for s in stack.services if s.process}
        dead = [s.name for s in stack.dead_services()]
    load_end = _procs.load_average()
    print(f"load average at end: {load_end}")
    for name, mem in memory.items():
        print(f"memory {name:<14} RSS {mem['rss_mb']:7.0f} MB   PSS {mem['pss_mb']:7.0f} MB")

    profile = "PostgreSQL + Redis" if args.postgres else "SQLite, in-process lock store"
    report = {
        "benchmark": "rest_bench",
        "what": "closed-loop conversations over POST /webhooks/rest/webhook, wall time per message on the client",
        "profile": profile,
        "replicas": args.replicas,
        "model": model.name,
        "think_seconds": [float(t) for t in str(args.think).split(",")],
        "revision": _procs.revision(),
        "turns_per_conversation": args.turns,
        "extra_env": extra_env,
        "message_pools": {kind: len(pool) for kind, pool in pools.items()},
        "machine": _procs.machine(),
        "load_average_start": load_start,
        "load_average_end": load_end,
        "startup_seconds": round(startup_seconds, 1),
        "rows": rows,
        "memory_mb": memory,
        "dead_services": dead,
        "targets_p95_ms_at_50": TARGETS_MS,
    }
    json_path = out_dir / f"{args.name}.json"
    json_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    title = (
        f"REST, {profile}, {args.replicas} replica(s), solid: no pause, dashed: pause {args.think} s; "
        f"load avg {load_start[0]} -> {load_end[0]} on {_procs.machine()['cpus']} CPUs"
    )
    chart(rows, title, out_dir / f"{args.name}.png")
    print(f"written: {json_path}, {out_dir / (args.name + '.png')}")
    errors = sum(r["errors"] for r in rows)
    if errors or dead:
        print(f"FAILED: {errors} message(s) without an answer; dead services: {dead}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
