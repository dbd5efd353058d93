"""Statistical backstop: a small logistic regression over words and character n-grams.

The rules explain themselves but only know the phrasings and concepts someone wrote
down. This detector catches some of the rest. It can only **raise** a message to
crisis, only when its probability is at or above the threshold stored with the
weights, and it always shows as its own reason (``statistical.backstop`` with the
probability), so a clinician can tell a rule from a guess.

* Model: TF-IDF (sublinear term frequency, L2-normalised) over the analysed tokens of
  the message (each token's surface form and lemmas, pairs of neighbouring surface
  forms, and character 2-4-grams of each surface form with a space on either side),
  then logistic regression. Inference is plain Python from ``statistical.json``
  beside this module: per feature its IDF and weight, the intercept and the threshold.
* Trained ONLY on the project's own data: the labelled cases in
  ``safety/evaluation/cases/dev.jsonl`` and ``dev2.jsonl`` (crisis and emergency are
  positive, support and none negative) and the Rasa NLU examples in ``data/nlu`` as
  extra negatives. Never on the public sets in ../shared/data (their licences forbid
  shipping derived models) and never on the holdout files. Retrain with
  ``python -m safety.train_backstop`` (needs scikit-learn; see safety/README.md).
* Long messages are scored in windows of consecutive sentences (the model was trained
  on chat-length messages); the message's probability is that of its highest window.
  At most the first 40 and the last 10 windows are scored, so a huge message stays
  cheap; the rules still read all of it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import ClassVar

from safety._data import PACKAGE_DIR
from safety.analysis import BOUNDARY, Document
from safety.detectors.base import Detector, Hit, Rule
from safety.verdict import Level

__all__ = ["StatisticalDetector", "features", "MODEL_FILE", "RULE_ID"]

MODEL_FILE = PACKAGE_DIR / "detectors" / "statistical.json"
RULE_ID = "statistical.backstop"
_CHAR_NGRAMS = (2, 4)
_WINDOW_TOKENS = 80
_FIRST_WINDOWS = 40
_LAST_WINDOWS = 10


@lru_cache(maxsize=65536)
def _char_ngrams(surface: str) -> tuple[str, ...]:
    padded = " " + surface + " "
    out: list[str] = []
    for n in range(_CHAR_NGRAMS[0], _CHAR_NGRAMS[1] + 1):
        for i in range(len(padded) - n + 1):
            out.append("c:" + padded[i : i + n])
    return tuple(out)


def features(pieces: list[tuple[str, ...]] | tuple[tuple[str, ...], ...]) -> Counter[str]:
    """Feature counts of a run of analysed tokens (the trainer uses this very function)."""
    out: Counter[str] = Counter()
    previous = "^"
    for piece in pieces:
        surface = piece[0]
        if surface == BOUNDARY:
            out["b:" + previous + " §"] += 1
            previous = BOUNDARY
            continue
        for field in set(piece):
            out["w:" + field] += 1
        out["b:" + previous + " " + surface] += 1
        previous = surface
        out.update(_char_ngrams(surface))
    return out


def windows(doc: Document) -> list[tuple[int, int]]:
    """Token ranges [first, last) of consecutive whole sentences, each at most
    _WINDOW_TOKENS long (a longer sentence is cut)."""
    out: list[tuple[int, int]] = []
    start = None
    end = 0
    for sentence in doc.sentences:
        first, last = sentence.first, sentence.last + 1  # include the boundary
        if start is not None and last - start > _WINDOW_TOKENS:
            out.append((start, end))
            start = None
        if start is None:
            start = first
        end = last
        while end - start > _WINDOW_TOKENS:
            out.append((start, start + _WINDOW_TOKENS))
            start += _WINDOW_TOKENS
    if start is not None and end > start:
        out.append((start, end))
    if len(out) > _FIRST_WINDOWS + _LAST_WINDOWS:
        out = out[:_FIRST_WINDOWS] + out[-_LAST_WINDOWS:]
    return out


@dataclass(frozen=True)
class _Model:
    index: dict[str, int]  # feature -> position in idf / coef
    idf: tuple[float, ...]
    coef: tuple[float, ...]
    idf_squared: tuple[float, ...]  # precomputed for the common case of a count of 1
    idf_coef: tuple[float, ...]
    intercept: float
    threshold: float
    version: str

    @property
    def weights(self) -> dict[str, tuple[float, float]]:
        return {f: (self.idf[i], self.coef[i]) for f, i in self.index.items()}


@lru_cache(maxsize=1)
def _model() -> _Model | None:
    if not MODEL_FILE.exists():
        return None
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    names: list[str] = data["features"]
    idf: list[float] = data["idf"]
    coef: list[float] = data["coef"]
    if not (len(names) == len(idf) == len(coef)):
        raise ValueError(f"{MODEL_FILE}: features, idf and coef differ in length")
    return _Model(
        index={n: i for i, n in enumerate(names)},
        idf=tuple(float(v) for v in idf),
        coef=tuple(float(v) for v in coef),
        idf_squared=tuple(float(i) * float(i) for i in idf),
        idf_coef=tuple(float(i) * float(c) for i, c in zip(idf, coef, strict=True)),
        intercept=float(data["intercept"]),
        threshold=float(data["threshold"]),
        version=str(data["version"]),
    )


def probability(counts: Counter[str], model: _Model) -> float:
    """The model's probability for feature counts (the reference implementation)."""
    ids: Counter[int] = Counter()
    for feature, count in counts.items():
        j = model.index.get(feature)
        if j is not None:
            ids[j] += count
    return _probability(ids, model)


def _probability(ids: Counter[int], model: _Model) -> float:
    idf, coef = model.idf, model.coef
    idf_squared, idf_coef = model.idf_squared, model.idf_coef
    dot = 0.0
    norm = 0.0
    # In id order: a set's order changes between processes (hash seeds), and a float
    # sum's last bit with it, which could flip a score sitting on the threshold.
    for j in sorted(ids):
        count = ids[j]
        if count == 1:
            norm += idf_squared[j]
            dot += idf_coef[j]
        else:
            value = (1.0 + math.log(count)) * idf[j]
            norm += value * value
            dot += value * coef[j]
    score = model.intercept + (dot / math.sqrt(norm) if norm else 0.0)
    return 1.0 / (1.0 + math.exp(-score)) if score > -30 else 0.0


@lru_cache(maxsize=65536)
def _piece_ids(piece: tuple[str, ...]) -> tuple[int, ...]:
    """Known feature ids of one token, except the pair with its neighbour (cached)."""
    model = _model()
    if model is None:
        return ()
    index = model.index
    out = [index[f] for f in ("w:" + field for field in set(piece)) if f in index]
    out.extend(index[g] for g in _char_ngrams(piece[0]) if g in index)
    return tuple(out)


def _window_ids(pieces: Sequence[tuple[str, ...]], model: _Model) -> Counter[int]:
    """The same features as :func:`features`, counted by id (faster; tested equal)."""
    found: list[int] = []
    index = model.index
    previous = "^"
    for piece in pieces:
        surface = piece[0]
        if surface == BOUNDARY:
            j = index.get("b:" + previous + " §")
            previous = BOUNDARY
        else:
            found.extend(_piece_ids(piece))
            j = index.get("b:" + previous + " " + surface)
            previous = surface
        if j is not None:
            found.append(j)
    return Counter(found)


class StatisticalDetector(Detector):
    """Raise-only backstop; see the module docstring."""

    name: ClassVar[str] = "statistical"
    raise_only: ClassVar[bool] = True  # run by the pipeline only when the rules said < crisis

    @property
    def version(self) -> str:
        model = _model()
        return model.version if model is not None else "absent"

    @cached_property
    def rule(self) -> Rule:
        return Rule(
            id=RULE_ID,
            level=Level.CRISIS,
            score=0.0,
            role="statistical",
            patterns=(),
            negatable=False,
            past_sensitive=False,
        )

    def score(self, doc: Document) -> tuple[float, tuple[int, int] | None]:
        """The highest window probability and that window's token range."""
        model = _model()
        if model is None or not doc.pieces:
            return 0.0, None
        best = 0.0
        where: tuple[int, int] | None = None
        for first, last in windows(doc):
            p = _probability(_window_ids(doc.pieces[first:last], model), model)
            if p > best:
                best, where = p, (first, last)
        return best, where

    def detect(self, doc: Document) -> list[Hit]:
        model = _model()
        if model is None:
            return []
        p, where = self.score(doc)
        if p < model.threshold or where is None:
            return []
        first, last = where[0], max(where[0], where[1] - 1)
        while last > first and doc.pieces[last][0] == BOUNDARY:
            last -= 1
        span = doc.original_span(first, last)
        return [
            Hit(
                detector=self.name,
                rule=replace(self.rule, score=round(p, 3)),
                first=first,
                last=last,
                span=span,
                matched=doc.matched_text(span)[:200],
                sentence=doc.sentence_index(first),
                notes=(f"p={p:.2f}",),
            )
        ]
