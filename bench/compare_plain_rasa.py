"""This assistant against a plain Rasa 3.6.21 bot on the same NLU data, in one run.

Figures, not pass/fail. The plain bot is generated under ``var/bench/plain/`` (see
``bench/_plain_project.py``): the same pipeline and data without the safety layer, plus
an intent ``crisis`` trained on the screen's development cases, so its classifier gets
its best chance. Both run on this machine one after the other in the same run:

* **training time**: each model from scratch (empty Rasa cache);
* **start-up**: from spawning the Rasa process to its first answer over REST (ours
  includes the audit store's migrations, the health channel and the warm-up parse);
* **latency**: closed-loop REST conversations at 1, 10 and 50 concurrent conversations,
  crisis messages and content questions (bench/_load.py), the two systems interleaved
  per step so background load hits both alike; ratio = ours / plain;
* **memory**: RSS and PSS of every process after the latency runs: Rasa + action server
  for each (our web app reported separately: plain Rasa has none);
* **crisis recall and false alarms** on the held-out labelled cases
  (``holdout.jsonl``, ``holdout2.jsonl``): ``safety.screen`` (with the case's history
  and locale) versus plain Rasa's intent (``/model/parse``, text only) being ``crisis``.
  Only aggregate counts are computed and printed; no case text is shown, nothing is
  tuned on them.

Run: ``.venv/bin/python bench/compare_plain_rasa.py [--reuse-models] [--concurrency 1,10,50]``
Writes ``var/bench/compare_plain_rasa.json`` and ``.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import yaml  # noqa: E402

from bench import _load, _plain_project, _procs, _stack, _texts  # noqa: E402
from bench.rest_bench import CHECKS, HEADER, format_row  # noqa: E402
from bot.loopback import free_port_block  # noqa: E402

TOKEN = "plain-bench-token"


# ----------------------------------------------------------------------------- training


def _record(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".tar.gz") + ".training.json")


def recorded_training(model: Path) -> dict[str, Any] | None:
    """What was measured when ``model`` was trained by this script (for --reuse-models)."""
    try:
        record: dict[str, Any] = json.loads(_record(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record


def _timed_training(model: Path, train: Any) -> float:
    load_start = _procs.load_average()
    started = time.monotonic()
    train()
    seconds = time.monotonic() - started
    _record(model).write_text(json.dumps({
        "seconds": round(seconds, 1), "load_average_start": load_start,
        "load_average_end": _procs.load_average(), "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }), encoding="utf-8")
    return seconds


def train_plain(directory: Path, reuse: bool, epochs: int | None) -> tuple[Path, float | None]:
    import subprocess

    from bot import settings as settings_module
    from bot.training import rasa_env

    name = "plain" if epochs is None else f"plain-e{epochs}"
    model = directory / "models" / f"{name}.tar.gz"
    if reuse and model.is_file():
        return model, None
    config = directory / "config.yml"
    if epochs is not None:
        capped = yaml.safe_load(config.read_text(encoding="utf-8"))
        for component in capped["pipeline"] + capped["policies"]:
            if "epochs" in component:
                component["epochs"] = epochs
        config = directory / f"config.e{epochs}.yml"
        config.write_text(yaml.safe_dump(capped, sort_keys=False), encoding="utf-8")
    cache = directory / "rasa-cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = rasa_env(settings_module.load())
    env["RASA_CACHE_DIRECTORY"] = str(cache)
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(config), "--domain", str(directory / "domain"),
        "--data", str(directory / "data"), "--out", str(directory / "models"),
        "--fixed-model-name", name,
    ]

    def train() -> None:
        with (directory / "train.log").open("wb") as log:
            result = subprocess.run(command, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT)
        if result.returncode != 0 or not model.is_file():
            raise SystemExit(f"plain Rasa training failed; see {directory / 'train.log'}")

    model.unlink(missing_ok=True)
    return model, _timed_training(model, train)


@contextlib.contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send this process's and its children's stdout/stderr to ``log`` meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log.open("ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def train_ours(state_dir: Path, reuse: bool, epochs: int | None) -> tuple[Path, float | None]:
    import dataclasses

    from bot import settings as settings_module
    from bot.training import ensure_model, model_path

    settings = dataclasses.replace(settings_module.load(), state_dir=state_dir)
    target = model_path(settings.models_dir, epochs)
    if reuse and target.is_file():
        return target, None
    target.unlink(missing_ok=True)
    shutil.rmtree(settings.cache_dir, ignore_errors=True)
    state_dir.mkdir(parents=True, exist_ok=True)

    def train() -> None:
        with output_to(state_dir / "train.log"):
            ensure_model(settings, epochs=epochs)

    return target, _timed_training(target, train)


# ----------------------------------------------------------------------------- start-up


class FirstAnswer(threading.Thread):
    """Polls the REST channel until it answers; records when (time.monotonic())."""

    def __init__(self, url: str, timeout: float = 600) -> None:
        super().__init__(daemon=True)
        self.url = url + "/webhooks/rest/webhook"
        self.timeout = timeout
        self.answered_at: float | None = None

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        body = {"sender": f"startup-{uuid.uuid4().hex[:6]}", "message": "hello"}
        while time.monotonic() < deadline:
            try:
                reply = httpx.post(self.url, json=body, timeout=30)
                if reply.status_code == 200 and reply.json():
                    self.answered_at = time.monotonic()
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)


def start_ours(model: Path, state_dir: Path) -> tuple[Any, float]:
    from bot.runner import Stack

    settings = _stack.bench_settings(state_dir)
    stack = Stack(settings, with_web=True, with_telegram=False, model=model)
    probe = FirstAnswer(settings.rasa_url)
    probe.start()
    stack.start(progress=False)
    probe.join()
    rasa = stack.service("rasa")
    if probe.answered_at is None or rasa.started_at is None:
        stack.stop()
        raise SystemExit("our Rasa server never answered")
    return stack, probe.answered_at - rasa.started_at


def start_plain(model: Path, directory: Path) -> tuple[list[Any], str, float]:
    from bot import settings as settings_module
    from bot.runner import Service, StartupError, wait_for_http
    from bot.training import rasa_env

    rasa_port, action_port = free_port_block(), free_port_block()
    tracker_db = directory / "tracker.db"
    tracker_db.unlink(missing_ok=True)
    _plain_project.write_endpoints(directory, f"http://127.0.0.1:{action_port}/webhook", tracker_db)
    env = rasa_env(settings_module.load())
    py = sys.executable
    actions = Service(
        "plain action server", [py, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
        f"http://127.0.0.1:{action_port}/health", directory / "actions.log", env,
    )
    rasa = Service(
        "plain rasa",
        [py, "-m", "rasa", "run", "--model", str(model), "--endpoints", str(directory / "endpoints.yml"),
         "--credentials", str(directory / "credentials.yml"), "--port", str(rasa_port),
         "--interface", "127.0.0.1", "--enable-api", "--auth-token", TOKEN],
        f"http://127.0.0.1:{rasa_port}/", directory / "rasa.log", env,
    )
    url = f"http://127.0.0.1:{rasa_port}"
    actions.start()
    try:
        wait_for_http(actions.health_url, 60, actions.alive)
        probe = FirstAnswer(url)
        probe.start()
        rasa.start()
        probe.join()
    except StartupError:
        actions.stop()
        raise
    if probe.answered_at is None or rasa.started_at is None:
        rasa.stop()
        actions.stop()
        raise SystemExit(f"plain Rasa never answered; see {rasa.log_path}")
    return [actions, rasa], url, probe.answered_at - rasa.started_at


# ----------------------------------------------------------------------------- recall


def _flag_counts(labels: list[str], flagged: list[bool]) -> dict[str, Any]:
    positives = [f for label, f in zip(labels, flagged, strict=True) if label in ("crisis", "emergency")]
    negatives = [f for label, f in zip(labels, flagged, strict=True) if label == "none"]
    support = [f for label, f in zip(labels, flagged, strict=True) if label == "support"]
    return {
        "crisis_cases": len(positives),
        "caught": sum(positives),
        "crisis_recall": sum(positives) / len(positives) if positives else None,
        "none_cases": len(negatives),
        "false_alarms": sum(negatives),
        "false_alarm_rate": sum(negatives) / len(negatives) if negatives else None,
        "support_cases": len(support),
        "support_flagged_as_crisis": sum(support),
    }


def recall(plain_url: str) -> dict[str, Any]:
    """Aggregate recall on the held-out files; texts stay inside this function."""
    import safety

    cases = _texts.labelled_cases(_texts.HELD_OUT_FILES)
    labels = [str(c["label"]) for c in cases]
    ours = [
        safety.screen(str(c["text"]), locale=c.get("locale"), history=list(c.get("history") or []))  # type: ignore[arg-type]
        .level.at_least(safety.Level.CRISIS)
        for c in cases
    ]

    async def parse_all() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=60) as client:
            semaphore = asyncio.Semaphore(4)

            async def parse(text: str) -> dict[str, Any]:
                async with semaphore:
                    reply = await client.post(
                        f"{plain_url}/model/parse", params={"token": TOKEN}, json={"text": text}
                    )
                    reply.raise_for_status()
                    result: dict[str, Any] = reply.json()
                    return result

            return await asyncio.gather(*(parse(str(c["text"])) for c in cases))

    parsed = asyncio.run(parse_all())
    plain_intent = [(p.get("intent") or {}).get("name") == _plain_project.CRISIS_INTENT for p in parsed]
    # DIET's own top guess, before the FallbackClassifier turns low confidence into
    # nlu_fallback: the most generous reading of plain Rasa's recall.
    plain_diet = [
        next((r.get("name") for r in p.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"), None)
        == _plain_project.CRISIS_INTENT
        for p in parsed
    ]
    by_lang: dict[str, dict[str, Any]] = {}
    for lang in ("en", "ru", "other"):
        idx = [i for i, c in enumerate(cases) if (c.get("lang") if c.get("lang") in ("en", "ru") else "other") == lang]
        by_lang[lang] = {
            "ours": _flag_counts([labels[i] for i in idx], [ours[i] for i in idx]),
            "plain": _flag_counts([labels[i] for i in idx], [plain_intent[i] for i in idx]),
        }
    return {
        "cases": len(cases),
        "files": [p.name for p in _texts.HELD_OUT_FILES],
        "ours_screen": _flag_counts(labels, ours),
        "plain_intent": _flag_counts(labels, plain_intent),
        "plain_diet_top1_ignoring_fallback": _flag_counts(labels, plain_diet),
        "by_language": by_lang,
        "note": "plain Rasa sees the message text only; the screen also gets the case's locale and history",
    }


# ----------------------------------------------------------------------------- latency


async def latency(
    systems: dict[str, list[str]], args: argparse.Namespace, run_id: str
) -> list[dict[str, Any]]:
    pools = {"crisis": _texts.crisis_messages(), "content": _texts.content_messages()}
    for system, urls in systems.items():
        for kind, pool in pools.items():
            await _load.run_conversations(
                urls, _load.plan(pool, 4, 40, args.turns, seed=99), 4, CHECKS[kind], "warm-up",
                f"warm-{run_id}-{system}-{kind}",
            )
    rows = []
    print(f"{'system':<6} " + HEADER, flush=True)
    for concurrency in [int(c) for c in args.concurrency.split(",")]:
        for kind, pool in pools.items():
            messages = max(args.messages, concurrency * args.turns)
            conversations = _load.plan(pool, concurrency, messages, args.turns, seed=concurrency)
            for system, urls in systems.items():
                result = await _load.run_conversations(
                    urls, conversations, concurrency, CHECKS[kind], kind,
                    f"cmp-{run_id}-{system}-{kind}-{concurrency}", think_seconds=args.think,
                )
                row = {"system": system, **result.summary()}
                rows.append(row)
                print(f"{system:<6} " + format_row(row), flush=True)
    return rows


# ----------------------------------------------------------------------------- report


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if row["system"] != "ours":
            continue
        plain = next(
            r for r in rows
            if r["system"] == "plain" and r["label"] == row["label"] and r["concurrency"] == row["concurrency"]
        )
        out.append({
            "kind": row["label"], "concurrency": row["concurrency"],
            **{f"ours_{k}": row[k] for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_per_s", "errors")},
            **{f"plain_{k}": plain[k] for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_per_s", "errors")},
            "p50_ratio": _ratio(row["p50_ms"], plain["p50_ms"]),
            "p95_ratio": _ratio(row["p95_ms"], plain["p95_ms"]),
        })
    return out


def _fmt(value: Any, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_report(report: dict[str, Any]) -> None:
    print("\n=== ours vs plain Rasa 3.6.21 ===")
    print(f"load average: start {report['load_average_start']}, end {report['load_average_end']} "
          f"({report['machine']['cpus']} CPUs)")
    print(f"{'kind':<8}{'conc':>5}  {'ours p50/p95 ms':>17}  {'plain p50/p95 ms':>17}  {'ratio p50/p95':>14}")
    for s in report["latency_summary"]:
        print(f"{s['kind']:<8}{s['concurrency']:>5}  "
              f"{_fmt(s['ours_p50_ms']):>8}/{_fmt(s['ours_p95_ms']):<8}  "
              f"{_fmt(s['plain_p50_ms']):>8}/{_fmt(s['plain_p95_ms']):<8}  "
              f"{_fmt(s['p50_ratio'], '.2f'):>6}/{_fmt(s['p95_ratio'], '.2f'):<6}")
    mem = report["memory"]
    print(f"memory RSS MB   ours Rasa+actions {mem['ours_rasa_actions']['rss_mb']:.0f} "
          f"(web app {mem['ours_web_app']['rss_mb']:.0f} more)   plain {mem['plain_rasa_actions']['rss_mb']:.0f}   "
          f"ratio {mem['rss_ratio']:.3f}")
    print(f"memory PSS MB   ours Rasa+actions {mem['ours_rasa_actions']['pss_mb']:.0f} "
          f"(web app {mem['ours_web_app']['pss_mb']:.0f} more)   plain {mem['plain_rasa_actions']['pss_mb']:.0f}   "
          f"ratio {mem['pss_ratio']:.3f}")
    st = report["startup_seconds"]
    tr = report["training_seconds"]
    print(f"start-up to first answer s   ours {_fmt(st['ours'])}   plain {_fmt(st['plain'])}")
    print(f"training from scratch s      ours {_fmt(tr['ours'])}   plain {_fmt(tr['plain'])}")
    for name, record in report["training_recorded_earlier"].items():
        if record:
            print(f"  {name}: model reused; when it was trained ({record['when']}, load average "
                  f"{record['load_average_start']}) it took {record['seconds']} s")
        else:
            print(f"  {name}: model reused; its training time was not recorded")
    rc = report["recall"]
    for name, key in (("ours: safety.screen", "ours_screen"), ("plain: intent crisis", "plain_intent"),
                      ("plain: DIET top-1, no fallback", "plain_diet_top1_ignoring_fallback")):
        r = rc[key]
        print(f"held-out {name:<32} recall {r['caught']}/{r['crisis_cases']} = {r['crisis_recall']:.1%}   "
              f"false alarms {r['false_alarms']}/{r['none_cases']} = {r['false_alarm_rate']:.1%}")


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), gridspec_kw={"width_ratios": [3, 1, 1.3]})
    summary = report["latency_summary"]
    labels = [f"{s['kind']}\n{s['concurrency']}" for s in summary]
    xs = range(len(summary))
    width = 0.2
    ax = axes[0]
    for offset, (key, name) in enumerate((("ours_p50_ms", "ours p50"), ("ours_p95_ms", "ours p95"),
                                          ("plain_p50_ms", "plain p50"), ("plain_p95_ms", "plain p95"))):
        ax.bar([x + (offset - 1.5) * width for x in xs], [s[key] or 0 for s in summary], width, label=name)
    ax.set_yscale("log")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels)
    ax.set_ylabel("ms per message (log)")
    ax.set_title("REST latency by kind and concurrent conversations")
    ax.legend(fontsize=8)
    mem = report["memory"]
    axes[1].bar(["ours", "plain"], [mem["ours_rasa_actions"]["rss_mb"], mem["plain_rasa_actions"]["rss_mb"]],
                label="Rasa + actions")
    axes[1].bar(["ours"], [mem["ours_web_app"]["rss_mb"]], bottom=[mem["ours_rasa_actions"]["rss_mb"]],
                label="web app")
    axes[1].set_ylabel("RSS MB")
    axes[1].set_title("memory")
    axes[1].legend(fontsize=8)
    rc = report["recall"]
    names = ["screen", "plain intent", "plain DIET"]
    keys = ["ours_screen", "plain_intent", "plain_diet_top1_ignoring_fallback"]
    axes[2].bar([x - 0.2 for x in range(3)], [rc[k]["crisis_recall"] for k in keys], 0.4, label="crisis recall")
    axes[2].bar([x + 0.2 for x in range(3)], [rc[k]["false_alarm_rate"] for k in keys], 0.4, label="false alarms")
    axes[2].set_xticks(range(3))
    axes[2].set_xticklabels(names, fontsize=8)
    axes[2].set_ylim(0, 1)
    axes[2].set_title(f"held-out cases (n={rc['cases']})")
    axes[2].legend(fontsize=8)
    fig.suptitle(f"ours vs plain Rasa 3.6.21; load avg {report['load_average_start'][0]} -> "
                 f"{report['load_average_end'][0]} on {report['machine']['cpus']} CPUs", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--reuse-models", action="store_true",
                        help="use models trained by an earlier run (training time is then not measured)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="cap DIET epochs of both models (quick trials of this script only)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--quiet-load", type=float, default=1.5)
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from bot import settings as settings_module

    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = (args.out or settings_module.load().state_dir / "bench").resolve()
    plain_dir = out_dir / "plain"
    ours_dir = out_dir / "ours"
    run_id = uuid.uuid4().hex[:8]
    load_start = _procs.wait_for_quiet(args.quiet_load, args.wait_quiet)
    print(f"load average at start: {load_start}", flush=True)

    counts = _plain_project.build(plain_dir, "http://127.0.0.1:1/webhook", plain_dir / "tracker.db")
    print(f"plain project: {counts}", flush=True)
    print("training plain Rasa ...", flush=True)
    plain_model, plain_train = train_plain(plain_dir, args.reuse_models, args.epochs)
    print(f"  {_fmt(plain_train)} s", flush=True)
    print("training ours ...", flush=True)
    ours_model, ours_train = train_ours(ours_dir / "train-state", args.reuse_models, args.epochs)
    print(f"  {_fmt(ours_train)} s", flush=True)

    state_dir = ours_dir / f"run-{run_id}"
    stack, ours_startup = start_ours(ours_model, state_dir)
    plain_services: list[Any] = []
    try:
        plain_services, plain_url, plain_startup = start_plain(plain_model, plain_dir)
        print(f"start-up: ours {ours_startup:.1f} s, plain {plain_startup:.1f} s", flush=True)
        systems = {"ours": [stack.settings.rasa_url], "plain": [plain_url]}
        rows = asyncio.run(latency(systems, args, run_id))
        ours_mem = [_procs.memory_mb(stack.service(n).process.pid) for n in ("rasa", "action server")]
        web_mem = _procs.memory_mb(stack.service("web app").process.pid)
        plain_mem = [_procs.memory_mb(s.process.pid) for s in plain_services]
        print("recall on held-out cases ...", flush=True)
        recall_report = recall(plain_url)
    finally:
        for service in reversed(plain_services):
            service.stop()
        stack.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
    load_end = _procs.load_average()

    def total(items: list[dict[str, float]]) -> dict[str, float]:
        return {k: sum(m[k] for m in items) for k in ("rss_mb", "pss_mb")}

    ours_total, plain_total = total(ours_mem), total(plain_mem)
    report = {
        "benchmark": "compare_plain_rasa",
        "machine": _procs.machine(),
        "revision": _procs.revision(),
        "load_average_start": load_start,
        "load_average_end": load_end,
        "plain_project": counts,
        "models": {"ours": ours_model.name, "plain": plain_model.name},
        "epochs_capped_at": args.epochs,
        "training_seconds": {"ours": ours_train, "plain": plain_train},
        "training_recorded_earlier": {
            name: recorded_training(model) for name, model, seconds in
            (("ours", ours_model, ours_train), ("plain", plain_model, plain_train)) if seconds is None
        },
        "startup_seconds": {"ours": ours_startup, "plain": plain_startup},
        "latency_rows": rows,
        "latency_summary": summarise(rows),
        "think_seconds": args.think,
        "memory": {
            "ours_rasa_actions": ours_total,
            "ours_web_app": web_mem,
            "plain_rasa_actions": plain_total,
            "rss_ratio": ours_total["rss_mb"] / plain_total["rss_mb"],
            "pss_ratio": ours_total["pss_mb"] / plain_total["pss_mb"],
            "ours_with_web_rss_ratio": (ours_total["rss_mb"] + web_mem["rss_mb"]) / plain_total["rss_mb"],
        },
        "recall": recall_report,
        "tracker_stores": {"ours": "ResilientSQLTrackerStore on SQLite + audit broker",
                           "plain": "stock SQLTrackerStore on SQLite, no event broker"},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "compare_plain_rasa.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    chart(report, out_dir / "compare_plain_rasa.png")
    print_report(report)
    print(f"written: {out_dir / 'compare_plain_rasa.json'}, {out_dir / 'compare_plain_rasa.png'}")
    errors = sum(r["errors"] for r in rows)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
