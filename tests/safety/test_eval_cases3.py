"""Checks for the third development set of crisis-screen cases,
safety/evaluation/cases/dev3.jsonl (see README3.md there).

Like test_eval_cases2.py these tests look only at the file (schema, ids, labels allowed
per category, no text of dev/dev2, balance); they never import or run the screen. The
holdout files are never read here.

    python tests/safety/test_eval_cases3.py     # prints the counts table kept in README3.md
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
DEV3 = CASES_DIR / "dev3.jsonl"
README = CASES_DIR / "README3.md"
README_START = "<!-- counts:start -->"
README_END = "<!-- counts:end -->"
LABELS = ("none", "support", "crisis", "emergency")
LOCALES = {"en-GB", "en-IE", "ru", "ru-RU"}
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
ID_RE = re.compile(r"^d3-(?P<lang>en|ru)-(?P<short>[a-z]+)-(?P<num>\d{3})$")


def load(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and raw.endswith(b"\n"), path.name
    return [json.loads(line) for line in raw.decode("utf-8").split("\n")[:-1]]


def norm(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return load(DEV3)


def test_schema_ids_and_labels(cases: list[dict[str, Any]]) -> None:
    ids = set()
    for c in cases:
        keys = set(c)
        assert REQUIRED <= keys <= REQUIRED | OPTIONAL, c["id"]
        match = ID_RE.match(c["id"])
        assert match, c["id"]
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


def test_no_duplicates_and_no_text_of_dev_or_dev2(cases: list[dict[str, Any]]) -> None:
    keys = [(norm(c["text"]), tuple(c.get("history", []))) for c in cases]
    assert len(keys) == len(set(keys)), "duplicate (text, history) in dev3"
    earlier = {norm(c["text"]) for name in ("dev", "dev2") for c in load(CASES_DIR / f"{name}.jsonl")}
    clash = [c["id"] for c in cases if not c.get("history") and norm(c["text"]) in earlier]
    assert not clash, f"dev3 texts already in dev/dev2: {clash}"


def test_balance(cases: list[dict[str, Any]]) -> None:
    langs = Counter(c["lang"] for c in cases)
    assert len(cases) >= 300 and langs["en"] == langs["ru"], dict(langs)
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


def test_readme_counts_current(cases: list[dict[str, Any]]) -> None:
    text = README.read_text(encoding="utf-8")
    current = text.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert current == counts_table(cases), "README3.md counts are stale; run python tests/safety/test_eval_cases3.py"


def main() -> None:
    table = counts_table(load(DEV3))
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    README.write_text(f"{before}{README_START}\n{table}\n{README_END}{after}", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    sys.exit(main())
