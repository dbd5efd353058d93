"""Benchmark of the crisis screen (safety.screen): figures, not pass/fail.

Prints, and writes to ``<state_dir>/bench/screen_bench.json`` and ``.png``:

* cold import time of ``safety`` (fresh interpreter, median of several runs);
* first-call time (the lazy tables load: English, then Russian) and ``warm_up()`` time;
* messages per second and p50 / p99 / max latency per message for messages of 20, 100,
  500, 2 000, 10 000 and 100 000 characters, as wall time and as CPU time of the
  screening thread (wall time on a busy machine includes waiting for a CPU);
* the screen's cost relative to a Rasa NLU parse (10-30 ms per message).

Messages are built from the sentences below (written for this bench: mostly ordinary
treatment, booking and distress questions in English and Russian, about one in seven
with crisis language), shuffled with a fixed seed, each message distinct.

Run: ``.venv/bin/python bench/screen_bench.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LENGTHS = (20, 100, 500, 2_000, 10_000, 100_000)
COUNTS = {20: 3000, 100: 3000, 500: 1500, 2_000: 400, 10_000: 100, 100_000: 20}
QUICK_COUNTS = {20: 500, 100: 500, 500: 300, 2_000: 80, 10_000: 20, 100_000: 5}
NLU_PARSE_MS = (10.0, 30.0)

# {slots} are filled at random so messages (and long texts) rarely repeat a sentence.
SENTENCES = [
    "Hi, can I book an assessment for {day} at {hour}?",
    "What is EMDR and how many sessions does it usually take, is it {n} or more?",
    "Does {drug} help with nightmares or only with low mood?",
    "My therapist {name} suggested trauma-focused CBT, is it available online?",
    "I keep having flashbacks at work since {year} and I have to hide in the toilets.",
    "The video link in the reminder email for {day} does not open on my phone.",
    "Is prolonged exposure therapy safe if I am {n} weeks pregnant?",
    "I had another nightmare about the crash on {day} and could not sleep again.",
    "How long is the waiting list for an appointment in {city}?",
    "My partner {name} says I am not the person I used to be since {year}.",
    "Can I change my session on {day} to {hour}?",
    "What does the research say about {drug} for treatment-resistant PTSD?",
    "I get so angry at loud noises and then I feel ashamed, about {n} times a day.",
    "Thanks {name}, that was helpful, speak {day}.",
    "I feel numb most days, like I am watching my life through glass.",
    "This spreadsheet is killing me, I need a coffee before {hour}.",
    "Honestly I don't want to be here anymore.",
    "I have been thinking about ending my life most nights since {day}.",
    "Which bridges in {city} are taller than {n} metres?",
    "Everyone would be better off without me.",
    "Здравствуйте, можно записаться на консультацию на {day_ru}?",
    "Что такое ДПДГ и сколько сессий обычно нужно, {n} или больше?",
    "Помогает ли {drug_ru} при кошмарах после травмы?",
    "Опять снилась авария, полночи не могла уснуть, уже {n} раз за месяц.",
    "Можно ли проходить терапию онлайн из города {city}?",
    "После нападения в {year} году я вздрагиваю от каждого звука.",
    "Спасибо, {name}, очень помогли, до завтра.",
    "Муж говорит, что я стала другим человеком после {year} года.",
    "Эта пробка меня просто убивает, опаздываю на {n} минут.",
    "Я больше не хочу жить.",
    "Думаю о том, чтобы покончить с собой.",
    "Какая у вас стоимость первичного приёма, {n} фунтов?",
]
SLOTS = {
    "day": ["Monday", "Tuesday", "Thursday", "Friday", "next week", "tomorrow", "the 14th"],
    "day_ru": ["понедельник", "среду", "пятницу", "следующую неделю", "завтра"],
    "hour": ["9am", "10:30", "noon", "3pm", "half past four", "the evening"],
    "drug": ["sertraline", "paroxetine", "prazosin", "venlafaxine", "mirtazapine", "ketamine"],
    "drug_ru": ["сертралин", "пароксетин", "празозин", "венлафаксин", "миртазапин"],
    "name": ["Anna", "Dave", "Priya", "Tom", "Olga", "Sam", "Ivan", "Maria"],
    "city": ["London", "Leeds", "Dublin", "Cork", "Berlin", "Bristol", "Manchester", "Riga"],
}


def _fill(template: str, rng: random.Random) -> str:
    out = template
    while "{" in out:
        head, rest = out.split("{", 1)
        slot, tail = rest.split("}", 1)
        if slot == "n":
            value = str(rng.randint(2, 400))
        elif slot == "year":
            value = str(rng.randint(1995, 2025))
        else:
            value = rng.choice(SLOTS[slot])
        out = head + value + tail
    return out


def _messages(length: int, count: int, rng: random.Random) -> list[str]:
    messages = []
    for _ in range(count):
        parts: list[str] = []
        size = 0
        while size < length:
            sentence = _fill(rng.choice(SENTENCES), rng)
            parts.append(sentence)
            size += len(sentence) + 1
        text = " ".join(parts)[:length]
        messages.append(text.rsplit(" ", 1)[0] if " " in text[-15:] and length > 40 else text)
    return messages


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True, timeout=300).stdout.strip()


def cold_start(runs: int) -> dict[str, float]:
    imports = [float(_python("import time; t = time.perf_counter(); import safety; "
                             "print(time.perf_counter() - t)")) for _ in range(runs)]
    first = _python(
        "import time; import safety; "
        "t = time.perf_counter(); safety.screen('I want to die'); a = time.perf_counter() - t; "
        "t = time.perf_counter(); safety.screen('what is EMDR?'); b = time.perf_counter() - t; "
        "t = time.perf_counter(); safety.screen('хочу умереть'); c = time.perf_counter() - t; "
        "print(a, b, c)"
    ).split()
    warm = float(_python("import time, safety; t = time.perf_counter(); safety.warm_up(); "
                         "print(time.perf_counter() - t)"))
    return {
        "import_s_median": statistics.median(imports),
        "import_s_runs": imports,  # type: ignore[dict-item]
        "first_call_en_s": float(first[0]),
        "second_call_en_s": float(first[1]),
        "first_call_ru_s": float(first[2]),
        "warm_up_s": warm,
    }


def _pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


def run(quick: bool) -> dict[str, Any]:
    import safety

    safety.warm_up()
    rng = random.Random(20261121)
    counts = QUICK_COUNTS if quick else COUNTS
    results: dict[str, Any] = {}
    for length in LENGTHS:
        messages = _messages(length, counts[length], rng)
        walls: list[float] = []
        cpus: list[float] = []
        levels: dict[str, int] = {}
        started = time.perf_counter()
        for text in messages:
            wall0, cpu0 = time.perf_counter(), time.thread_time()
            verdict = safety.screen(text)
            cpus.append(time.thread_time() - cpu0)
            walls.append(time.perf_counter() - wall0)
            levels[verdict.level.value] = levels.get(verdict.level.value, 0) + 1
        elapsed = time.perf_counter() - started
        results[str(length)] = {
            "messages": len(messages),
            "messages_per_second": len(messages) / elapsed,
            "wall_ms": {"p50": _pct(walls, 0.5) * 1e3, "p99": _pct(walls, 0.99) * 1e3, "max": max(walls) * 1e3},
            "cpu_ms": {"p50": _pct(cpus, 0.5) * 1e3, "p99": _pct(cpus, 0.99) * 1e3, "max": max(cpus) * 1e3},
            "levels": levels,
        }
    return results


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lengths = [int(k) for k in results]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for clock, style in (("wall_ms", "-"), ("cpu_ms", "--")):
        for stat, marker in (("p50", "o"), ("p99", "s")):
            ax.plot(lengths, [results[str(n)][clock][stat] for n in lengths], style, marker=marker,
                    label=f"{stat} {clock.split('_')[0]}")
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
    ax.axhline(NLU_PARSE_MS[0], color="red", linewidth=0.8, linestyle=":", label="Rasa NLU parse (~10 ms)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("message length (characters)")
    ax.set_ylabel("latency per message (ms)")
    ax.set_title("safety.screen latency by message length")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", linewidth=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer messages per length")
    args = parser.parse_args()

    from bot import settings

    out_dir = settings.load().state_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    cold = cold_start(3 if args.quick else 7)
    results = run(args.quick)
    import safety

    report = {
        "version": safety.engine_version(),
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "platform": platform.platform()},
        "cold": cold,
        "by_length": results,
    }
    (out_dir / "screen_bench.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    chart(results, out_dir / "screen_bench.png")

    print(f"safety.screen {report['version']}  (Python {report['python']}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f})")
    print(f"cold import {cold['import_s_median'] * 1e3:.1f} ms (median); first call: English "
          f"{cold['first_call_en_s'] * 1e3:.0f} ms, Russian {cold['first_call_ru_s'] * 1e3:.0f} ms; "
          f"warm_up() {cold['warm_up_s'] * 1e3:.0f} ms")
    print(f"{'length':>8} {'msgs':>6} {'msg/s':>9} {'wall p50':>9} {'wall p99':>9} {'cpu p50':>9} "
          f"{'cpu p99':>9} {'max':>9}   share of a 10 ms NLU parse (p50)")
    for length, row in results.items():
        share = 100 * row["wall_ms"]["p50"] / NLU_PARSE_MS[0]
        print(f"{length:>8} {row['messages']:>6} {row['messages_per_second']:>9.0f} "
              f"{row['wall_ms']['p50']:>8.3f}m {row['wall_ms']['p99']:>8.3f}m {row['cpu_ms']['p50']:>8.3f}m "
              f"{row['cpu_ms']['p99']:>8.3f}m {row['wall_ms']['max']:>8.2f}m   {share:5.1f}%")
    print(f"written: {out_dir / 'screen_bench.json'}, {out_dir / 'screen_bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
