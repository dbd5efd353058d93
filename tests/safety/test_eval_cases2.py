"""Checks for the second, independently written set of crisis-screen cases:
safety/evaluation/cases/dev2.jsonl and holdout2.jsonl (see README2.md there).

Like test_eval_cases.py these tests look only at the files (schema, ids, the dev2/holdout2
split, coverage, label mix); they never import or run the screen.

    python tests/safety/test_eval_cases2.py     # prints the counts table kept in README2.md
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

CASES_DIR = Path(__file__).resolve().parents[2] / "safety" / "evaluation" / "cases"
SPLITS = {"dev2": "d2", "holdout2": "h2"}

LANGS = ("en", "ru", "de", "fr", "es", "pl", "uk")
MAIN_LANGS = ("en", "ru")
OTHER_LANGS = ("de", "fr", "es", "pl", "uk")
LABELS = ("none", "support", "crisis", "emergency")
LOCALES = {"en-GB", "en-IE", "de-DE", "fr-FR", "ru", "ru-RU", "uk-UA", "pl-PL", "es-ES"}
REQUIRED = {"id", "text", "lang", "label", "category"}
OPTIONAL = {"locale", "history", "note"}
CRISIS_LIKE = {"crisis", "emergency"}

# category -> (short name used in ids, labels a case of that category may carry);
# the same table as the first set's README.
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
    "other_language": ("other", {"none", "crisis", "emergency"}),
}
MAIN_CATEGORIES = tuple(c for c in CATEGORIES if c != "other_language")
ID_RE = re.compile(r"^(?P<split>d2|h2)-(?P<lang>[a-z]{2})-(?P<short>[a-z]+)-(?P<num>\d{3})$")
README = CASES_DIR / "README2.md"
README_START = "<!-- counts:start -->"
README_END = "<!-- counts:end -->"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    duplicated = {k for k in keys if keys.count(k) > 1}
    if duplicated:
        raise ValueError(f"duplicate keys {sorted(duplicated)}")
    return dict(pairs)


def load(split: str) -> list[dict[str, Any]]:
    """Parse one case file strictly; raises with file:line on any malformed line."""
    path = CASES_DIR / f"{split}.jsonl"
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: UTF-8 BOM"
    assert b"\r" not in raw, f"{path.name}: CR line endings"
    assert raw.endswith(b"\n"), f"{path.name}: no final newline"
    cases = []
    for number, line in enumerate(raw.decode("utf-8").split("\n")[:-1], start=1):
        where = f"{path.name}:{number}"
        assert line.strip(), f"{where}: empty line"
        try:
            case = json.loads(line, object_pairs_hook=_no_duplicate_keys)
        except ValueError as exc:
            pytest.fail(f"{where}: not valid JSON: {exc}")
        assert isinstance(case, dict), f"{where}: not a JSON object"
        case["_where"] = where
        case["_split"] = split
        cases.append(case)
    return cases


def norm(text: str) -> str:
    """'The same text': NFKC, case folded, everything but letters and digits removed
    (spaces, punctuation, emoji, zero-width and combining marks)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict[str, Any]]]:
    return {split: load(split) for split in SPLITS}


@pytest.fixture(scope="module")
def cases(splits: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [c for split in SPLITS for c in splits[split]]


def test_fields_present_and_known(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        keys = set(c) - {"_where", "_split"}
        assert keys >= REQUIRED, f"{c['_where']}: missing {sorted(REQUIRED - keys)}"
        assert keys <= REQUIRED | OPTIONAL, f"{c['_where']}: unknown {sorted(keys - REQUIRED - OPTIONAL)}"


def test_field_values(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        w = c["_where"]
        assert isinstance(c["text"], str) and c["text"].strip(), f"{w}: empty text"
        assert c["text"] == c["text"].strip(), f"{w}: text has surrounding whitespace"
        assert c["lang"] in LANGS, f"{w}: lang {c['lang']!r}"
        assert c["label"] in LABELS, f"{w}: label {c['label']!r}"
        assert c["category"] in CATEGORIES, f"{w}: category {c['category']!r}"
        assert c["label"] in CATEGORIES[c["category"]][1], (
            f"{w}: label {c['label']} not allowed in {c['category']}"
        )
        if c["category"] == "other_language":
            assert c["lang"] in OTHER_LANGS, f"{w}: other_language case in {c['lang']}"
        else:
            assert c["lang"] in MAIN_LANGS, f"{w}: {c['category']} case in {c['lang']}"
        if "locale" in c:
            assert c["locale"] in LOCALES, f"{w}: locale {c['locale']!r}"
        if "history" in c:
            history = c["history"]
            assert isinstance(history, list) and 1 <= len(history) <= 2, f"{w}: history must hold 1-2 messages"
            assert all(isinstance(h, str) and h.strip() for h in history), f"{w}: empty history message"
        if "note" in c:
            assert isinstance(c["note"], str) and c["note"].strip(), f"{w}: empty note"


def test_context_cases_carry_history(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        if c["category"] == "context_history":
            assert c.get("history"), f"{c['_where']}: context_history case without history"


def test_ids_well_formed_prefixed_and_unique(cases: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for c in cases:
        w = c["_where"]
        m = ID_RE.match(c["id"])
        assert m, f"{w}: id {c['id']!r} is not d2|h2-<lang>-<category>-<nnn>"
        assert m["split"] == SPLITS[c["_split"]], f"{w}: id {c['id']} has the wrong prefix for {c['_split']}"
        assert m["lang"] == c["lang"], f"{w}: id {c['id']} vs lang {c['lang']}"
        assert m["short"] == CATEGORIES[c["category"]][0], f"{w}: id {c['id']} vs category {c['category']}"
        # the number is unique per language and category across both files
        base = c["id"][3:]
        assert base not in seen, f"{w}: id {c['id']} also at {seen[base]}"
        seen[base] = w


def test_no_duplicate_cases_within_files(splits: dict[str, list[dict[str, Any]]]) -> None:
    for _split, rows in splits.items():
        seen: dict[tuple[str, ...], str] = {}
        for c in rows:
            k = (norm(c["text"]), *(norm(h) for h in c.get("history", [])))
            assert k not in seen, f"{c['_where']} duplicates {seen[k]}"
            seen[k] = c["_where"]


def test_no_text_in_both_dev2_and_holdout2(splits: dict[str, list[dict[str, Any]]]) -> None:
    dev = {norm(c["text"]): c["_where"] for c in splits["dev2"]}
    leaks = [f"{c['_where']} = {dev[norm(c['text'])]}" for c in splits["holdout2"] if norm(c["text"]) in dev]
    assert not leaks, f"texts in both dev2 and holdout2: {leaks}"


def test_no_text_of_the_first_set(cases: list[dict[str, Any]]) -> None:
    """No new case repeats a text of dev.jsonl/holdout.jsonl. Compares hashes and reports only
    the new ids, so a failure never shows the first set's texts."""
    old_files = [CASES_DIR / "dev.jsonl", CASES_DIR / "holdout.jsonl"]
    if not all(p.exists() for p in old_files):
        pytest.skip("first case set not present")
    old = set()
    for p in old_files:
        for line in p.read_text(encoding="utf-8").splitlines():
            old.add(hashlib.sha256(norm(json.loads(line)["text"]).encode()).hexdigest())
    hits = [c["id"] for c in cases if hashlib.sha256(norm(c["text"]).encode()).hexdigest() in old]
    assert not hits, f"{len(hits)} new cases repeat a text of the first set: {hits}"


def test_holdout_share(splits: dict[str, list[dict[str, Any]]]) -> None:
    n_dev, n_hold = len(splits["dev2"]), len(splits["holdout2"])
    share = n_hold / (n_dev + n_hold)
    assert 0.18 <= share <= 0.22, f"holdout2 share {share:.3f} outside 18-22 %"


def test_holdout_stratified(splits: dict[str, list[dict[str, Any]]]) -> None:
    """Every language x category x label stratum has about a fifth of its cases in holdout2."""
    total: Counter[tuple[str, str, str]] = Counter()
    hold: Counter[tuple[str, str, str]] = Counter()
    for split, rows in splits.items():
        for c in rows:
            key = (c["lang"], c["category"], c["label"])
            total[key] += 1
            if split == "holdout2":
                hold[key] += 1
    bad = [f"{k}: {hold[k]} of {n}" for k, n in total.items() if abs(hold[k] - n / 5) > 1]
    assert not bad, f"strata far from a 1-in-5 holdout: {bad}"


def test_every_category_in_en_and_ru_in_both_files(splits: dict[str, list[dict[str, Any]]]) -> None:
    for split, rows in splits.items():
        present = {(c["lang"], c["category"]) for c in rows}
        missing = [(lang, cat) for lang in MAIN_LANGS for cat in MAIN_CATEGORIES if (lang, cat) not in present]
        missing += [(lang, "other_language") for lang in OTHER_LANGS if (lang, "other_language") not in present]
        assert not missing, f"{split}: no cases for {missing}"


def test_other_languages_have_ideation_and_harmless(cases: list[dict[str, Any]]) -> None:
    for lang in OTHER_LANGS:
        labels = Counter(c["label"] for c in cases if c["lang"] == lang)
        assert labels["crisis"] >= 3 and labels["emergency"] >= 1 and labels["none"] >= 2, f"{lang}: {dict(labels)}"


def test_size_and_label_mix(cases: list[dict[str, Any]]) -> None:
    n = len(cases)
    assert n >= 1000, f"only {n} cases"
    labels = Counter(c["label"] for c in cases)
    assert (labels["crisis"] + labels["emergency"]) / n >= 0.45, f"crisis+emergency share too low: {dict(labels)}"
    assert labels["support"] / n >= 0.15, f"support share too low: {dict(labels)}"
    assert labels["none"] / n >= 0.25, f"too few hard negatives: {dict(labels)}"
    langs = Counter(c["lang"] for c in cases)
    assert 0.9 <= langs["en"] / langs["ru"] <= 1.1, f"English and Russian not balanced: {dict(langs)}"


def test_hard_negative_categories_have_no_risk_labels(cases: list[dict[str, Any]]) -> None:
    # the context_history and abuse hard negatives exist in both main languages
    for lang in MAIN_LANGS:
        for cat in ("context_history", "abuse"):
            labels = {c["label"] for c in cases if c["lang"] == lang and c["category"] == cat}
            assert {"none", "support"} <= labels, f"{lang} {cat}: no none/support hard negatives"


def counts_table(splits: dict[str, list[dict[str, Any]]]) -> str:
    order = [(lang, cat) for lang in MAIN_LANGS for cat in MAIN_CATEGORIES]
    order += [(lang, "other_language") for lang in OTHER_LANGS]
    per: dict[tuple[str, str], Counter[tuple[str, str]]] = {k: Counter() for k in order}
    for split, rows in splits.items():
        for c in rows:
            per[(c["lang"], c["category"])][(split, c["label"])] += 1
    head = "| lang | category | " + " | ".join(f"{s} {lab}" for s in SPLITS for lab in LABELS) + " | total |"
    lines = [head, "|" + "---|" * (3 + 2 * len(LABELS))]
    grand: Counter[tuple[str, str]] = Counter()
    for key in order:
        cnt = per[key]
        if not cnt:
            continue
        grand.update(cnt)
        cells = [str(cnt[(s, lab)]) if cnt[(s, lab)] else "." for s in SPLITS for lab in LABELS]
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + f" | {sum(cnt.values())} |")
    cells = [str(grand[(s, lab)]) for s in SPLITS for lab in LABELS]
    lines.append("| all | all | " + " | ".join(cells) + f" | {sum(grand.values())} |")
    return "\n".join(lines)


def test_readme_counts_current(splits: dict[str, list[dict[str, Any]]]) -> None:
    text = README.read_text(encoding="utf-8")
    assert README_START in text and README_END in text, "README2.md has no counts markers"
    current = text.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert current == counts_table(splits), (
        "README2.md counts table is stale; run `python tests/safety/test_eval_cases2.py`"
    )


def main() -> None:
    table = counts_table({split: load(split) for split in SPLITS})
    if README.exists():
        text = README.read_text(encoding="utf-8")
        if README_START in text and README_END in text:
            before = text.split(README_START, 1)[0]
            after = text.split(README_END, 1)[1]
            README.write_text(f"{before}{README_START}\n{table}\n{README_END}{after}", encoding="utf-8")
            print(f"updated {README.name}")
    print(table)


if __name__ == "__main__":
    sys.exit(main())
