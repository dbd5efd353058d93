"""Regression gates on the development cases (tuning allowed on both):

* ``safety/evaluation/cases/dev.jsonl`` (the first case writer's set);
* ``safety/evaluation/cases/dev2.jsonl`` (a second, independent writer's set; measured
  once before any rule was tuned on it: crisis recall EN 66.5%, RU 62.2%; see
  safety/README.md);
* ``safety/evaluation/cases/dev3.jsonl`` (a third set, see its README3.md; measured
  before tuning: batch A EN 71.6%, RU 86.2%; batch B, after the first round of rules,
  EN 35.4%, RU 45.8%; batch C, after the second, EN 61.8%, RU 47.1%). Its gate is a
  floor at the level reached after three rounds (EN 0.93, RU 0.93), not
  the issue's target: the misses left are single weak cues the screen raises only with
  a second one, left rather than fitted.
* ``dev4.jsonl`` and ``dev5.jsonl`` (README4.md there; measured before tuning: dev4 EN
  72.6%, RU 75.8%; dev5, written after the dev4 rounds, EN 61.5%, RU 65.4%). Floors at
  the level reached after tuning (dev4 EN 0.88, RU 0.93; dev5 EN 0.84, RU 0.88).
* ``dev7.jsonl`` (README5.md; measured before tuning: EN 53.3%, RU 83.3%). Floors at the
  level reached after one round (EN 0.96, RU 1.0), false alarms 0/48. dev6 stays untuned.
* ``dev8.jsonl`` (README6.md; measured before tuning: EN 46.2%, RU 53.8%). Floors EN 0.96,
  RU 0.96 after one round, false alarms 0/40.
* ``dev9.jsonl`` (README7.md; measured before tuning: EN 53.8%, RU 69.2%). Floors EN 1.0,
  RU 1.0 after one round, false alarms 0/40.
* ``dev10.jsonl`` (README8.md; measured before tuning: EN 38.5% (10/26), RU 65.4% (17/26),
  emergency 3/8, support 6/8, false alarms 1/40). Floors EN 1.0, RU 1.0 after one round,
  false alarms 0/40.
* ``dev12.jsonl`` (README10.md; measured before tuning: EN 46.7% (21/45), RU 64.4% (29/45),
  emergency 12/22, support 14/16, false alarms 8/44). Floors EN 1.0, RU 1.0 after one round,
  false alarms 0/44. dev11 is not tuned on and not read here.
* ``dev13.jsonl`` (README11.md; measured before tuning: EN 68.9% (31/45), RU 75.6% (34/45),
  emergency 16/22, support 13/16, false alarms 7/44). Floors EN 1.0, RU 0.97 (44/45) after
  one round, false alarms 0/44.
* ``dev14.jsonl`` (README12.md; measured once held back: EN 76.9% (20/26), RU 84.6% (22/26),
  emergency 6/8, support 7/8, false alarms 2/40). Floors EN 1.0, RU 1.0 after one round,
  false alarms 0/40.
* ``dev15.jsonl`` (README13.md; measured once held back: EN 61.5% (16/26), RU 84.6% (22/26),
  emergency 7/8, support 8/8, false alarms 3/40). Floors EN 1.0, RU 1.0 after one round,
  false alarms 1/40 (a parent asking how to answer a child's question about fall heights:
  left, see the round's note).
* ``dev16.jsonl`` (README14.md; measured once held back: EN 65.4% (17/26), RU 73.1% (19/26),
  emergency 5/8, support 8/8, false alarms 5/40). Floors EN 1.0, RU 1.0 after one round,
  false alarms 0/40.
* ``dev18.jsonl`` (README16.md; a development set measured once before it was read: EN 57.7%
  (15/26), RU 61.5% (16/26), emergency 3/8, support 7/8, false alarms 2/40). Floors EN 1.0,
  RU 1.0 after one round, false alarms 0/40.
* ``dev17.jsonl`` (README15.md; measured once held back: EN 65.4% (17/26), RU 65.4% (17/26),
  emergency 4/8, support 8/8, false alarms 3/40). Floors EN 1.0, RU 0.92 (24/26) after one
  round, false alarms 0/40.
* ``dev19.jsonl`` (README17.md; measured once held back: EN 50.0% (13/26), RU 53.8% (14/26),
  emergency 5/8, support 7/8, false alarms 1/40). Floors EN 0.84 (22/26), RU 0.76 (20/26)
  after one round (the rest left as too specific to generalise), false alarms 0/40.
* ``dev20.jsonl`` (README18.md; measured once held back: EN 73.1% (19/26), RU 61.5% (16/26),
  emergency 4/8, support 7/8, false alarms 4/40). Floors EN 0.88 (23/26), RU 0.92 (24/26)
  after one round, false alarms 0/40.
  dev11 and dev21 are held back and not read here.

Targets from the issue: crisis recall >= 0.98 (en), >= 0.95 (ru); false alarms on
``none`` <= 0.05, and on everyday and treatment questions <= 0.05. The holdout files
are never read here.
"""

from __future__ import annotations

from functools import cache

import pytest

from safety.evaluation.cases import CASES_DIR
from safety.evaluation.evaluate import run_cases
from safety.evaluation.metrics import Scored, score

SETS = [name for name in ("dev", "dev2") if (CASES_DIR / f"{name}.jsonl").exists()]
pytestmark = pytest.mark.skipif(not SETS, reason="development cases not present")


@cache
def _items(name: str) -> tuple[Scored, ...]:
    return tuple(run_cases(name))


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize(("lang", "target"), [("en", 0.98), ("ru", 0.95)])
def test_crisis_recall(name: str, lang: str, target: float) -> None:
    scores = score(i for i in _items(name) if i.example.lang == lang)
    assert scores.crisis_recall is not None and scores.crisis_recall >= target, scores


@pytest.mark.parametrize("name", SETS)
def test_other_languages_at_least_crisis(name: str) -> None:
    scores = score(i for i in _items(name) if i.example.lang not in ("en", "ru"))
    assert scores.crisis_recall is not None and scores.crisis_recall >= 0.95, scores


@pytest.mark.parametrize("name", SETS)
def test_false_alarms_on_none(name: str) -> None:
    scores = score(_items(name))
    assert scores.false_alarm_rate is not None and scores.false_alarm_rate <= 0.05, scores


@pytest.mark.parametrize("name", SETS)
def test_everyday_and_treatment_precision(name: str) -> None:
    chosen = [i for i in _items(name) if i.example.category in ("everyday", "treatment_question")]
    scores = score(chosen)
    assert scores.false_alarm_rate is not None and scores.false_alarm_rate <= 0.05, scores


@pytest.mark.parametrize("name", SETS)
def test_emergency_recall(name: str) -> None:
    scores = score(_items(name))
    assert scores.emergency_recall is not None and scores.emergency_recall >= 0.9, scores


@pytest.mark.parametrize("name", SETS)
def test_support_caught(name: str) -> None:
    scores = score(_items(name))
    assert scores.support_rate is not None and scores.support_rate >= 0.9, scores



DEV3 = CASES_DIR / "dev3.jsonl"


@pytest.mark.skipif(not DEV3.exists(), reason="dev3 not present")
@pytest.mark.parametrize(("lang", "floor"), [("en", 0.93), ("ru", 0.93)])
def test_dev3_crisis_recall_floor(lang: str, floor: float) -> None:
    scores = score(i for i in _items("dev3") if i.example.lang == lang)
    assert scores.crisis_recall is not None and scores.crisis_recall >= floor, scores


@pytest.mark.skipif(not DEV3.exists(), reason="dev3 not present")
def test_dev3_false_alarms_support_and_emergency() -> None:
    scores = score(_items("dev3"))
    assert scores.false_alarm_rate is not None and scores.false_alarm_rate <= 0.05, scores
    assert scores.support_rate is not None and scores.support_rate >= 0.9, scores
    assert scores.emergency_recall is not None and scores.emergency_recall >= 0.9, scores


@pytest.mark.parametrize(
    ("name", "lang", "floor"),
    [("dev4", "en", 0.88), ("dev4", "ru", 0.93), ("dev5", "en", 0.84), ("dev5", "ru", 0.88),
     ("dev7", "en", 0.96), ("dev7", "ru", 1.0), ("dev8", "en", 0.96), ("dev8", "ru", 0.96),
     ("dev9", "en", 1.0), ("dev9", "ru", 1.0), ("dev10", "en", 1.0), ("dev10", "ru", 1.0),
     ("dev12", "en", 1.0), ("dev12", "ru", 1.0), ("dev13", "en", 1.0), ("dev13", "ru", 0.97),
     ("dev14", "en", 1.0), ("dev14", "ru", 1.0), ("dev15", "en", 1.0), ("dev15", "ru", 1.0),
     ("dev16", "en", 1.0), ("dev16", "ru", 1.0), ("dev18", "en", 1.0), ("dev18", "ru", 1.0),
     ("dev17", "en", 1.0), ("dev17", "ru", 0.92), ("dev19", "en", 0.84), ("dev19", "ru", 0.76),
     ("dev20", "en", 0.88), ("dev20", "ru", 0.92)],
)
def test_dev4_dev5_crisis_recall_floor(name: str, lang: str, floor: float) -> None:
    if not (CASES_DIR / f"{name}.jsonl").exists():
        pytest.skip(f"{name} not present")
    scores = score(i for i in _items(name) if i.example.lang == lang)
    assert scores.crisis_recall is not None and scores.crisis_recall >= floor, scores


@pytest.mark.parametrize(
    "name", ["dev4", "dev5", "dev7", "dev8", "dev9", "dev10", "dev12", "dev13", "dev14", "dev15", "dev16",
             "dev17", "dev18", "dev19", "dev20"]
)
def test_dev4_dev5_false_alarms(name: str) -> None:
    if not (CASES_DIR / f"{name}.jsonl").exists():
        pytest.skip(f"{name} not present")
    scores = score(_items(name))
    assert scores.false_alarm_rate is not None and scores.false_alarm_rate <= 0.05, scores
