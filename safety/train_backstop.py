"""Train the statistical backstop (``safety/detectors/statistical.json``).

    .venv/bin/python -m safety.train_backstop            # train on dev + dev2 + NLU, write the file
    .venv/bin/python -m safety.train_backstop --sets dev,dev2,dev3,dev4   # more sets (see README)
    .venv/bin/python -m safety.train_backstop --cv       # cross-check only: dev -> dev2 and dev2 -> dev

Data (the project's own, nothing else): the labelled cases in
``safety/evaluation/cases/dev.jsonl`` and ``dev2.jsonl`` (``--sets`` for others; never
``dev5.jsonl``, kept to measure generalisation) (crisis and emergency are the
positive class; support and none negative) and the Rasa NLU examples under ``data/nlu``
(all negative: ordinary treatment, booking and small-talk questions). The holdout
files and the public sets in ../shared/data are never read: the holdout files are kept
for a one-off measurement, and the public sets' licences forbid shipping a model
derived from them.

Needs scikit-learn (a development dependency; the screen itself only reads the JSON).
The features are computed by ``safety.detectors.statistical.features`` on the screen's
own analysis of each text, so training and inference cannot drift apart.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from safety._data import PACKAGE_DIR
from safety.analysis import analyse
from safety.detectors import statistical
from safety.evaluation.cases import CASES_DIR, load_cases
from safety.evaluation.examples import Example

__all__ = ["main", "train", "load_training_data"]

REPO = PACKAGE_DIR.parent
NLU_DIR = REPO / "data" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
# Three digits or more in a feature: dropped, so the weights file never holds a phone
# number (tests/safety/test_helplines.py keeps numbers in helplines.yaml only).
_LONG_NUMBER = re.compile(r"\d{3}")
NEGATIVE_WEIGHT_EVERYDAY = 3.0  # everyday / treatment questions must stay quiet
DEFAULT_C = 4.0
DEFAULT_FEATURES = 12000
DEFAULT_THRESHOLD = 0.75
# The shipped model's sets. Adding dev3 and dev4 was tried and not kept (safety/README.md,
# "What was tried"). dev5 is never trained on: it measures wording the screen was not fitted to.
TRAIN_SETS = ("dev", "dev2")


def _nlu_texts() -> list[str]:
    import yaml

    texts: list[str] = []
    for path in sorted(NLU_DIR.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.append(_ANNOTATION.sub(r"\1", line[2:]))
    return texts


def load_training_data(names: Sequence[str]) -> tuple[list[str], list[int], list[float]]:
    """Texts, labels (1 = crisis or emergency) and sample weights."""
    texts: list[str] = []
    labels: list[int] = []
    weights: list[float] = []
    for name in names:
        if name.startswith("holdout"):
            raise ValueError("the holdout files are never used for training")
        for case in load_cases(name, CASES_DIR):
            texts.append(case.text)
            labels.append(1 if case.label in ("crisis", "emergency") else 0)
            weights.append(
                NEGATIVE_WEIGHT_EVERYDAY if case.category in ("everyday", "treatment_question") else 1.0
            )
    for text in _nlu_texts():
        texts.append(text)
        labels.append(0)
        weights.append(NEGATIVE_WEIGHT_EVERYDAY)
    return texts, labels, weights


def _counts(texts: Sequence[str]) -> list[Counter[str]]:
    return [statistical.features(analyse(t).pieces) for t in texts]


def _matrix(rows: Sequence[Counter[str]], vocab: dict[str, int], idf: Sequence[float]) -> Any:
    import scipy.sparse as sp

    data: list[float] = []
    row_index: list[int] = []
    col_index: list[int] = []
    for r, counts in enumerate(rows):
        values = {}
        for feature, count in counts.items():
            j = vocab.get(feature)
            if j is not None:
                values[j] = (1.0 + math.log(count)) * idf[j]
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        for j, v in values.items():
            row_index.append(r)
            col_index.append(j)
            data.append(v / norm)
    return sp.csr_matrix((data, (row_index, col_index)), shape=(len(rows), len(vocab)))


def train(
    texts: Sequence[str], labels: Sequence[int], weights: Sequence[float],
    c: float = DEFAULT_C, keep: int = DEFAULT_FEATURES,
) -> dict[str, Any]:
    """Fit, keep the ``keep`` strongest features, refit on those; return the JSON model."""
    from sklearn.linear_model import LogisticRegression

    rows = _counts(texts)
    df: Counter[str] = Counter()
    for counts in rows:
        df.update(counts.keys())
    n = len(rows)
    names = sorted(f for f, d in df.items() if d >= 2 and not _LONG_NUMBER.search(f))
    vocab = {f: i for i, f in enumerate(names)}
    idf = [math.log((1 + n) / (1 + df[f])) + 1 for f in names]
    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    clf.fit(_matrix(rows, vocab, idf), labels, sample_weight=weights)
    strongest = sorted(range(len(names)), key=lambda j: -abs(clf.coef_[0][j]))[:keep]
    kept = sorted(names[j] for j in strongest)
    vocab = {f: i for i, f in enumerate(kept)}
    idf = [math.log((1 + n) / (1 + df[f])) + 1 for f in kept]
    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    clf.fit(_matrix(rows, vocab, idf), labels, sample_weight=weights)
    return {
        "features": kept,
        "idf": [round(v, 5) for v in idf],
        "coef": [round(float(v), 5) for v in clf.coef_[0]],
        "intercept": round(float(clf.intercept_[0]), 5),
    }


def _digest(texts: Sequence[str], labels: Sequence[int]) -> str:
    h = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        h.update(f"{label}\t{text}\n".encode())
    return h.hexdigest()[:10]


def _write(model: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def _cross_check(threshold: float) -> None:
    """Train on one development set, measure on the other, with the whole screen."""
    import safety
    from safety import Level

    for train_name, test_name in (("dev", "dev2"), ("dev2", "dev")):
        texts, labels, weights = load_training_data([train_name])
        model = train(texts, labels, weights)
        model.update(threshold=threshold, version="cv")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.json"
            _write(model, path)
            test: list[Example] = list(load_cases(test_name, CASES_DIR))
            results = []
            for active in (False, True):
                statistical.MODEL_FILE = path if active else Path(folder) / "absent.json"
                statistical._model.cache_clear()
                results.append([safety.screen(c.text, locale=c.locale, history=list(c.history)).level for c in test])
        statistical.MODEL_FILE = PACKAGE_DIR / "detectors" / "statistical.json"
        statistical._model.cache_clear()
        gained = lost = fa = fa_et = support_raised = 0
        positives = sum(1 for c in test if c.label in ("crisis", "emergency"))
        base = sum(1 for c, lv in zip(test, results[0], strict=True)
                   if c.label in ("crisis", "emergency") and lv.at_least(Level.CRISIS))
        for case, before, after in zip(test, results[0], results[1], strict=True):
            raised = after.at_least(Level.CRISIS) and not before.at_least(Level.CRISIS)
            if case.label in ("crisis", "emergency"):
                gained += raised
                lost += before.at_least(Level.CRISIS) and not after.at_least(Level.CRISIS)
            elif case.label == "none":
                fa += raised
                fa_et += raised and case.category in ("everyday", "treatment_question")
            else:
                support_raised += raised
        print(f"train {train_name} -> {test_name}: crisis recall {base}/{positives} -> {base + gained}/{positives} "
              f"(+{gained}, lost {lost}); new false alarms on none {fa} (everyday/treatment {fa_et}); "
              f"support raised to crisis {support_raised}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safety.train_backstop", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", action="store_true", help="cross-check dev <-> dev2 only; write nothing")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR / "detectors" / "statistical.json")
    parser.add_argument("--sets", default=",".join(TRAIN_SETS),
                        help="development sets to train on (default: %(default)s; never dev5, kept for measurement)")
    args = parser.parse_args(argv)
    if args.cv:
        _cross_check(args.threshold)
        return 0
    names = [n for n in (x.strip() for x in args.sets.split(",")) if n and (CASES_DIR / f"{n}.jsonl").exists()]
    texts, labels, weights = load_training_data(names)
    model = train(texts, labels, weights)
    model.update(
        threshold=args.threshold,
        version=f"{date.today().isoformat()}+{_digest(texts, labels)}",
        trained_on=f"{', '.join(f'{n}.jsonl' for n in names)} and data/nlu ({len(texts)} texts, "
                   f"{sum(labels)} positive); C={DEFAULT_C}, {len(model['features'])} features",
    )
    _write(model, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB): {model['trained_on']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
