"""``python -m safety evaluate``: recall and false alarms, per language and category.

Sources:
* the project's labelled cases: ``cases/dev.jsonl``, ``cases/dev2.jsonl``,
  ``cases/dev3.jsonl`` and ``cases/dev4.jsonl`` always (and ``dev5.jsonl``, ``dev6.jsonl`` when present);
  ``cases/holdout.jsonl`` and ``cases/holdout2.jsonl`` only with ``--holdout`` (nobody
  tunes on them: run them to report figures at a release decision);
* the public sets in ``<repo>/../shared/data`` when that folder exists (skipped with a
  message otherwise). Each is split once into a "tune" half, which the rules were
  adjusted against, and a "held-out" half, never looked at; both are reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from safety.evaluation.cases import CASES_DIR, load_cases
from safety.evaluation.examples import Example
from safety.evaluation.metrics import Scored, Scores, percentile, score
from safety.evaluation.report import render_report
from safety.evaluation.shared import ATTRIBUTION, SHARED_SETS, default_data_dir, load_shared
from safety.pipeline import engine_version, screen, warm_up
from safety.verdict import Level

__all__ = ["main", "run_cases", "run_examples", "evaluate_cases", "evaluate_shared",
           "DEVELOPMENT_SETS", "HELD_OUT_SETS"]

# The case writers' development sets (tuning allowed) and the held-out sets (run only at
# a release decision with --holdout; never tuned on, failures read only afterwards).
# dev11 and dev21 are blind batches held back for an end-of-session measurement
# (README9.md, README19.md), so --failures never lists them. dev14 to dev17, dev19 and dev20 were held back until their
# first measurement (README12.md to README15.md, README17.md, README18.md) and are
# development sets since; dev18 (README16.md) was written as a development set.
DEVELOPMENT_SETS = (
    "dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10", "dev12",
    "dev13", "dev14", "dev15", "dev16", "dev17", "dev18", "dev19", "dev20",
)
HELD_OUT_SETS = ("holdout", "holdout2", "dev11", "dev21")


def run_examples(examples: Iterable[Example]) -> list[Scored]:
    out: list[Scored] = []
    for example in examples:
        start = time.perf_counter()
        verdict = screen(example.text, locale=example.locale, history=example.history)
        seconds = time.perf_counter() - start
        rules = tuple(r.rule for r in verdict.reasons if r.level.at_least(Level.SUPPORT))
        out.append(Scored(example, verdict.level, seconds, rules))
    return out


def run_cases(name: str, directory: Path = CASES_DIR) -> list[Scored]:
    return run_examples(load_cases(name, directory))


def _group(items: Sequence[Scored], key: Callable[[Scored], str]) -> dict[str, Scores]:
    groups: dict[str, list[Scored]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return {name: score(group) for name, group in sorted(groups.items())}


def evaluate_cases(name: str, items: Sequence[Scored], show_failures: bool) -> dict[str, Any]:
    latencies = [item.seconds * 1000 for item in items]
    by_category: dict[str, dict[str, Any]] = {}
    for category, scores in _group(items, lambda i: i.example.category).items():
        per_lang = _group([i for i in items if i.example.category == category], lambda i: i.example.lang)
        by_category[category] = {"all": scores.to_dict(), **{k: v.to_dict() for k, v in per_lang.items()}}
    section: dict[str, Any] = {
        "source": f"safety/evaluation/cases/{name}.jsonl",
        "overall": score(items).to_dict(),
        "by_lang": {k: v.to_dict() for k, v in _group(items, lambda i: i.example.lang).items()},
        "by_category": by_category,
        "latency_ms": {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                       "max": max(latencies, default=0.0)},
    }
    if show_failures:
        section["failures"] = [
            {"id": i.example.id, "label": i.example.label, "predicted": i.predicted.value, "rules": list(i.rules)}
            for i in items
            if (Level(i.example.label).at_least(Level.CRISIS) and not i.predicted.at_least(Level.CRISIS))
            or (i.example.label == "none" and i.predicted.at_least(Level.CRISIS))
            or (i.example.label == "emergency" and i.predicted != Level.EMERGENCY)
            or (i.example.label == "support" and i.predicted == Level.NONE)
        ]
    return section


def _flag_rate(items: Sequence[Scored], level: Level = Level.CRISIS) -> tuple[int, int]:
    return sum(1 for i in items if i.predicted.at_least(level)), len(items)


def _by_group(items: Sequence[Scored]) -> dict[str, list[Scored]]:
    groups: dict[str, list[Scored]] = defaultdict(list)
    for item in items:
        groups[item.example.group or item.example.id].append(item)
    return groups


def _group_recall(items: Sequence[Scored], label: str) -> tuple[int, int]:
    """Groups (users, posts) whose examples carry ``label``: how many have one flagged item."""
    groups = _by_group([i for i in items if i.example.label == label])
    caught = sum(1 for members in groups.values() if any(m.predicted.at_least(Level.CRISIS) for m in members))
    return caught, len(groups)


def _summarise_shared(name: str, items: Sequence[Scored]) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for part in ("tune", "held-out"):
        chosen = [i for i in items if i.example.part == part]
        summary: dict[str, Any] = {"items": len(chosen)}
        if name == "cssrs_gaur2019":
            summary["at_risk_users_caught"] = _group_recall(chosen, "crisis")
            summary["supportive_users_flagged"] = _group_recall(chosen, "none")
            summary["indicator_users_flagged"] = _group_recall(chosen, "support")
            summary["posts_flagged_at_risk_users"] = _flag_rate([i for i in chosen if i.example.label == "crisis"])
            summary["posts_flagged_supportive_users"] = _flag_rate([i for i in chosen if i.example.label == "none"])
        elif name == "moore2025_stimuli":
            si = [i for i in chosen if i.example.label == "crisis"]
            summary["suicidal_ideation_caught"] = _flag_rate(si)
            summary["other_interjections_flagged"] = _flag_rate(
                [i for i in chosen if i.example.category.startswith("interjection:") and i.example.label == "none"])
            summary["vignettes_flagged"] = _flag_rate(
                [i for i in chosen if i.example.category.startswith("vignette:")])
        elif name in ("counselchat", "esconv_seeker"):
            summary["false_alarms_presumed_none"] = _flag_rate([i for i in chosen if i.example.label == "none"])
            summary["needs_review_flagged"] = _flag_rate(
                [i for i in chosen if i.example.category == "needs_review"])
            summary["support_or_above_presumed_none"] = _flag_rate(
                [i for i in chosen if i.example.label == "none"], Level.SUPPORT)
        elif name == "ru_presuicidal_sample":
            crisis = [i for i in chosen if i.example.label == "crisis"]
            none = [i for i in chosen if i.example.label == "none"]
            summary["sentence_recall"] = _flag_rate(crisis)
            summary["sentence_false_alarms"] = _flag_rate(none)
            summary["data_id_recall"] = _group_recall(chosen, "crisis")
            none_groups = {g: m for g, m in _by_group(chosen).items() if all(x.example.label == "none" for x in m)}
            summary["data_id_false_alarms"] = (
                sum(1 for m in none_groups.values() if any(x.predicted.at_least(Level.CRISIS) for x in m)),
                len(none_groups),
            )
            by_class: dict[str, tuple[int, int]] = {}
            for category in sorted({i.example.category for i in chosen}):
                by_class[category] = _flag_rate([i for i in chosen if i.example.category == category])
            summary["flagged_by_derived_label"] = by_class
        parts[part] = summary
    latencies = [i.seconds * 1000 for i in items]
    return {
        "attribution": ATTRIBUTION[name],
        "parts": parts,
        "latency_ms": {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                       "max": max(latencies, default=0.0)},
    }


def evaluate_shared(names: Sequence[str], data_dir: Path) -> tuple[dict[str, Any], list[str]]:
    results: dict[str, Any] = {}
    skipped: list[str] = []
    for name in names:
        examples = load_shared(name, data_dir)
        if examples is None:
            skipped.append(f"{name}: not found under {data_dir / name}, skipped")
            continue
        results[name] = _summarise_shared(name, run_examples(examples))
    return results, skipped


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m safety evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holdout", action="store_true",
                        help="also run cases/holdout.jsonl and holdout2.jsonl (report figures only; never tune on them)")
    parser.add_argument("--no-cases", action="store_true", help="skip the project's labelled cases")
    parser.add_argument("--no-shared", action="store_true", help="skip ../shared/data")
    parser.add_argument("--sets", default=",".join(SHARED_SETS),
                        help="comma-separated shared sets (default: all)")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: <repo>/../shared/data")
    parser.add_argument("--cases-dir", type=Path, default=CASES_DIR)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--json-out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--failures", action="store_true",
                        help="list failing dev, dev2 ... dev6 case ids and rules (never for the holdouts)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    warm_up()
    report: dict[str, Any] = {"version": engine_version(), "cases": {}, "shared": {}, "skipped": []}
    if not args.no_cases:
        for name in [*DEVELOPMENT_SETS, *(HELD_OUT_SETS if args.holdout else ())]:
            if not (args.cases_dir / f"{name}.jsonl").exists():
                report["skipped"].append(f"cases/{name}.jsonl: not found, skipped")
                continue
            items = run_cases(name, args.cases_dir)
            report["cases"][name] = evaluate_cases(
                name, items, show_failures=args.failures and name in DEVELOPMENT_SETS
            )
    if not args.no_shared:
        names = [n.strip() for n in args.sets.split(",") if n.strip()]
        unknown = [n for n in names if n not in SHARED_SETS]
        if unknown:
            print(f"error: unknown shared set(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        data_dir = args.data_dir or default_data_dir()
        if not data_dir.exists():
            report["skipped"].append(f"shared data: {data_dir} not found, all shared sets skipped")
        else:
            shared, skipped = evaluate_shared(names, data_dir)
            report["shared"] = shared
            report["skipped"].extend(skipped)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_report(report))
    return 0
