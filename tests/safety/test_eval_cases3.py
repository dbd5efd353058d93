"""Checks for the development sets of crisis-screen cases written after dev2:
safety/evaluation/cases/dev3.jsonl (README3.md), dev4, dev5, dev6 (README4.md) and dev7
(README5.md).

Like test_eval_cases2.py these tests look only at the file (schema, ids, labels allowed
per category, no text of dev/dev2, balance); they never import or run the screen. The
holdout files are never read here.

    python tests/safety/test_eval_cases3.py     # rewrites the counts tables in README3.md and README4.md
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

CASES_DIR = Path(__file__).resolve().parents[2] / "safety" / "evaluation" / "cases"
# set name -> (id prefix, minimum size, README holding its counts table)
SETS = {
    "dev3": ("d3", 300, "README3.md"),
    "dev4": ("d4", 200, "README4.md"),
    "dev5": ("d5", 70, "README4.md"),
    "dev6": ("d6", 36, "README4.md"),
    "dev7": ("d7", 120, "README5.md"),
    "dev8": ("d8", 100, "README6.md"),
    "dev9": ("d9", 100, "README7.md"),
    "dev10": ("d10", 100, "README8.md"),
    "dev11": ("d11", 100, "README9.md"),
    # dev12's category mix differs (README10.md): more imminent and oblique cases, 29% hard
    # negatives instead of 40%; the 25% floor of test_balance still holds.
    "dev12": ("d12", 150, "README10.md"),
    # dev13 has dev12's mix (README11.md); dev14 has dev11's (README12.md, held back).
    "dev13": ("d13", 150, "README11.md"),
    "dev14": ("d14", 100, "README12.md"),
    "dev15": ("d15", 100, "README13.md"),
    "dev16": ("d16", 100, "README14.md"),
    "dev17": ("d17", 100, "README15.md"),
    "dev18": ("d18", 100, "README16.md"),
    "dev19": ("d19", 100, "README17.md"),
    "dev20": ("d20", 100, "README18.md"),
    "dev21": ("d21", 100, "README19.md"),
}
PRESENT = [name for name in SETS if (CASES_DIR / f"{name}.jsonl").exists()]
LABELS = ("none", "support", "crisis", "emergency")
# dev10 and dev11 add writers abroad: fr-FR (dev10, dev11) and nl-NL (dev11).
LOCALES = {"en-GB", "en-IE", "de-DE", "fr-FR", "nl-NL", "ru", "ru-RU", "lv-LV"}
REQUIRED = {"id", "text", "lang", "label", "category"}
OPTIONAL = {"locale", "history", "note"}
CRISIS_LIKE = {"crisis", "emergency"}
CATEGORIES: dict[str, tuple[str, set[str]]] = {
    "explicit_ideation": ("ideation", CRISIS_LIKE),
    "indirect_means": ("means", CRISIS_LIKE),
    "farewell": ("farewell", CRISIS_LIKE),
    "burden": ("burden", CRISIS_LIKE),
    "no_future": ("nofuture", CRISIS_LIKE),
    "context_history": ("context", set(LABELS)),
    "self_harm": ("selfharm", CRISIS_LIKE),
    "imminent": ("imminent", {"emergency"}),
    "abuse": ("abuse", set(LABELS)),
    "third_person": ("thirdperson", {"support", "crisis", "emergency"}),
    "embedded": ("embedded", CRISIS_LIKE),
    "obfuscated": ("obfuscated", CRISIS_LIKE),
    "negated_ideation": ("negated", CRISIS_LIKE),
    "idiom": ("idiom", {"none"}),
    "negation_none": ("negation", {"none"}),
    "history_support": ("history", {"support"}),
    "hopelessness_support": ("hopeless", {"support"}),
    "informational_support": ("info", {"support"}),
    "everyday": ("everyday", {"none"}),
    "treatment_question": ("treatment", {"none"}),
    "distress_noncrisis": ("distress", {"none"}),
}
ID_RE = re.compile(r"^(?P<prefix>d(?:[3-9]|[12][0-9]))-(?P<lang>en|ru)-(?P<short>[a-z]+)-(?P<num>\d{3})$")


def load(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and raw.endswith(b"\n"), path.name
    return [json.loads(line) for line in raw.decode("utf-8").split("\n")[:-1]]


def norm(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@pytest.fixture(scope="module", params=PRESENT)
def named(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, load(CASES_DIR / f"{request.param}.jsonl")


@pytest.fixture(scope="module")
def cases(named: tuple[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return named[1]


def test_schema_ids_and_labels(named: tuple[str, list[dict[str, Any]]]) -> None:
    name, cases = named
    ids = set()
    for c in cases:
        keys = set(c)
        assert REQUIRED <= keys <= REQUIRED | OPTIONAL, c["id"]
        match = ID_RE.match(c["id"])
        assert match and match["prefix"] == SETS[name][0], c["id"]
        assert c["id"] not in ids, c["id"]
        ids.add(c["id"])
        assert match["lang"] == c["lang"], c["id"]
        short, allowed = CATEGORIES[c["category"]]
        assert match["short"] == short, c["id"]
        assert c["label"] in allowed, c["id"]
        assert c.get("locale", "en-GB") in LOCALES, c["id"]
        history = c.get("history", [])
        assert isinstance(history, list) and all(isinstance(h, str) and h for h in history), c["id"]
        assert isinstance(c["text"], str) and c["text"].strip(), c["id"]


def test_no_duplicates_and_no_text_of_earlier_sets(named: tuple[str, list[dict[str, Any]]]) -> None:
    name, cases = named
    keys = [(norm(c["text"]), tuple(c.get("history", []))) for c in cases]
    assert len(keys) == len(set(keys)), f"duplicate (text, history) in {name}"
    # SETS is in writing order ("dev10" sorts before "dev3" as a string).
    earlier_sets = ["dev", "dev2", *list(SETS)[: list(SETS).index(name)]]
    earlier = {norm(c["text"]) for n in earlier_sets for c in load(CASES_DIR / f"{n}.jsonl")}
    clash = [c["id"] for c in cases if not c.get("history") and norm(c["text"]) in earlier]
    assert not clash, f"{name} texts already in {earlier_sets}: {clash}"


def test_balance(named: tuple[str, list[dict[str, Any]]]) -> None:
    name, cases = named
    langs = Counter(c["lang"] for c in cases)
    assert len(cases) >= SETS[name][1] and langs["en"] == langs["ru"], dict(langs)
    labels = Counter(c["label"] for c in cases)
    assert labels["none"] / len(cases) >= 0.25, dict(labels)


def counts_table(cases: list[dict[str, Any]]) -> str:
    per: dict[tuple[str, str], Counter[str]] = {}
    for c in cases:
        per.setdefault((c["lang"], c["category"]), Counter())[c["label"]] += 1
    order = [(lang, cat) for lang in ("en", "ru") for cat in CATEGORIES if (lang, cat) in per]
    lines = ["| lang | category | " + " | ".join(LABELS) + " | total |", "|" + "---|" * (3 + len(LABELS))]
    grand: Counter[str] = Counter()
    for key in order:
        cnt = per[key]
        grand.update(cnt)
        cells = [str(cnt[lab]) if cnt[lab] else "." for lab in LABELS]
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + f" | {sum(cnt.values())} |")
    lines.append("| all | all | " + " | ".join(str(grand[lab]) for lab in LABELS) + f" | {sum(grand.values())} |")
    return "\n".join(lines)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- counts-{name}:start -->", f"<!-- counts-{name}:end -->"


def test_readme_counts_current(named: tuple[str, list[dict[str, Any]]]) -> None:
    name, cases = named
    start, end = _markers(name)
    readme = CASES_DIR / SETS[name][2]
    current = readme.read_text(encoding="utf-8").split(start, 1)[1].split(end, 1)[0].strip()
    assert current == counts_table(cases), f"{readme.name} counts are stale; run python tests/safety/test_eval_cases3.py"


def main() -> None:
    for name in PRESENT:
        table = counts_table(load(CASES_DIR / f"{name}.jsonl"))
        start, end = _markers(name)
        readme = CASES_DIR / SETS[name][2]
        before, rest = readme.read_text(encoding="utf-8").split(start, 1)
        after = rest.split(end, 1)[1]
        readme.write_text(f"{before}{start}\n{table}\n{end}{after}", encoding="utf-8")
        print(name, table, sep="\n")


if __name__ == "__main__":
    sys.exit(main())
