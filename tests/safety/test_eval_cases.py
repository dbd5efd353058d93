"""Schema checks for the crisis-screen evaluation cases in safety/evaluation/cases/.

The cases are an independent yardstick for the screen, so these tests look only at the
files (schema, ids, the dev/holdout split, coverage); they never import or run the screen.

    python tests/safety/test_eval_cases.py     # prints the counts table kept in the README
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CASES_DIR = Path(__file__).resolve().parents[2] / "safety" / "evaluation" / "cases"
SPLITS = ("dev", "holdout")

LANGS = ("en", "ru", "de", "fr", "es", "pl", "uk")
MAIN_LANGS = ("en", "ru")
OTHER_LANGS = ("de", "fr", "es", "pl", "uk")
LABELS = ("none", "support", "crisis", "emergency")
LOCALES = {"en-GB", "en-IE", "de-DE", "fr-FR", "ru", "ru-RU", "uk-UA", "pl-PL", "es-ES"}
REQUIRED = {"id", "text", "lang", "label", "category"}
OPTIONAL = {"locale", "history", "note"}

CRISIS_LIKE = {"crisis", "emergency"}
# category -> (short name used in ids, labels a case of that category may carry)
CATEGORIES: dict[str, tuple[str, set[str]]] = {
    "explicit_ideation": ("ideation", CRISIS_LIKE),
    "indirect_means": ("means", CRISIS_LIKE),
    "farewell": ("farewell", CRISIS_LIKE),
    "burden": ("burden", CRISIS_LIKE),
    "no_future": ("nofuture", CRISIS_LIKE),
    # the label reflects the conversation; a few harmless/support histories are hard negatives
    "context_history": ("context", set(LABELS)),
    "self_harm": ("selfharm", CRISIS_LIKE),
    "imminent": ("imminent", {"emergency"}),
    # past abuse discussed as treatment context is support or none, never crisis
    "abuse": ("abuse", set(LABELS)),
    # general third-person questions are support; someone at risk now is crisis/emergency
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
CRISIS_CATEGORIES = (
    "explicit_ideation",
    "indirect_means",
    "farewell",
    "burden",
    "no_future",
    "context_history",
    "self_harm",
    "imminent",
    "abuse",
    "third_person",
    "embedded",
    "obfuscated",
    "negated_ideation",
)
SUPPORT_CATEGORIES = ("history_support", "hopelessness_support", "informational_support")
# Minimum number of cases per main language (en, ru); crisis categories count crisis+emergency.
MINIMUM_PER_LANG = {
    **{c: 15 for c in CRISIS_CATEGORIES},
    **{c: 15 for c in SUPPORT_CATEGORIES},
    "idiom": 25,
    "negation_none": 20,
    "everyday": 60,
    "treatment_question": 60,
    "distress_noncrisis": 60,
}
ID_RE = re.compile(r"^(?P<lang>[a-z]{2})-(?P<short>[a-z]+)-(?P<num>\d{3})$")
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
        cases.append(case)
    return cases


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict[str, Any]]]:
    return {split: load(split) for split in SPLITS}


@pytest.fixture(scope="module")
def cases(splits: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [c for split in SPLITS for c in splits[split]]


def norm(text: str) -> str:
    """What counts as 'the same text' across files: NFKC, case and whitespace folded."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def test_fields_present_and_known(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        keys = set(c) - {"_where"}
        assert keys >= REQUIRED, f"{c['_where']}: missing {sorted(REQUIRED - keys)}"
        assert keys <= REQUIRED | OPTIONAL, (
            f"{c['_where']}: unknown {sorted(keys - REQUIRED - OPTIONAL)}"
        )


def test_field_values(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        w = c["_where"]
        assert isinstance(c["text"], str) and c["text"].strip(), f"{w}: empty text"
        assert c["text"] == c["text"].strip(), f"{w}: text has surrounding whitespace"
        assert c["lang"] in LANGS, f"{w}: lang {c['lang']!r}"
        assert c["label"] in LABELS, f"{w}: label {c['label']!r}"
        assert c["category"] in CATEGORIES, f"{w}: category {c['category']!r}"
        if "locale" in c:
            assert c["locale"] in LOCALES, f"{w}: locale {c['locale']!r}"
        if "history" in c:
            history = c["history"]
            assert isinstance(history, list) and 1 <= len(history) <= 2, (
                f"{w}: history must hold 1-2 messages"
            )
            assert all(isinstance(h, str) and h.strip() for h in history), (
                f"{w}: empty history message"
            )
        if "note" in c:
            assert isinstance(c["note"], str) and c["note"].strip(), f"{w}: empty note"


def test_ids_well_formed_and_unique(cases: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for c in cases:
        w = c["_where"]
        m = ID_RE.match(c["id"])
        assert m, f"{w}: id {c['id']!r} is not <lang>-<category>-<nnn>"
        assert m["lang"] == c["lang"], f"{w}: id {c['id']} does not start with its lang {c['lang']}"
        assert m["short"] == CATEGORIES[c["category"]][0], (
            f"{w}: id {c['id']} vs category {c['category']}"
        )
        assert c["id"] not in seen, f"{w}: id {c['id']} also at {seen[c['id']]}"
        seen[c["id"]] = w


def test_no_text_in_both_dev_and_holdout(splits: dict[str, list[dict[str, Any]]]) -> None:
    dev = {norm(c["text"]): c["_where"] for c in splits["dev"]}
    leaks = [
        f"{c['_where']} = {dev[norm(c['text'])]}"
        for c in splits["holdout"]
        if norm(c["text"]) in dev
    ]
    assert not leaks, f"texts in both dev and holdout: {leaks}"


# Look-alike letters and leetspeak folded to one Latin letter, for the de-obfuscated leak check.
CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "т": "t",
        "в": "b",
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "@": "a",
        "$": "s",
        "!": "i",
    }
)


def skeleton(text: str) -> str:
    """The text with obfuscation undone: no accents, zero-width characters, look-alikes,
    leetspeak, spacing, punctuation or repeated letters."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf"))
    text = text.casefold().translate(CONFUSABLES)
    text = re.sub(r"[\W_]", "", text)
    return re.sub(r"(.)\1+", r"\1", text)


def test_no_holdout_text_is_a_disguised_dev_text(splits: dict[str, list[dict[str, Any]]]) -> None:
    # e.g. a full-width or zero-width variant in the holdout of a plain sentence in dev
    dev = {skeleton(c["text"]): c["_where"] for c in splits["dev"]}
    leaks = [
        f"{c['_where']} ~ {dev[skeleton(c['text'])]}"
        for c in splits["holdout"]
        if skeleton(c["text"]) and skeleton(c["text"]) in dev
    ]
    assert not leaks, f"holdout texts that equal a dev text once de-obfuscated: {leaks}"


def test_texts_unique(cases: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for c in cases:
        key = norm(c["text"]) + "\x00" + "\x00".join(norm(h) for h in c.get("history", []))
        assert key not in seen, f"{c['_where']}: same text (and history) as {seen[key]}"
        seen[key] = c["_where"]


def test_total_and_holdout_share(splits: dict[str, list[dict[str, Any]]]) -> None:
    total = sum(len(v) for v in splits.values())
    assert total >= 400, f"only {total} cases"
    share = len(splits["holdout"]) / total
    assert 0.18 <= share <= 0.22, f"holdout is {share:.1%} of cases, expected 18-22%"


def test_labels_allowed_for_category(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        allowed = CATEGORIES[c["category"]][1]
        assert c["label"] in allowed, f"{c['_where']}: {c['category']} case labelled {c['label']}"


def test_language_matches_category(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        if c["category"] == "other_language":
            assert c["lang"] in OTHER_LANGS, f"{c['_where']}: other_language case in {c['lang']}"
        else:
            assert c["lang"] in MAIN_LANGS, f"{c['_where']}: {c['category']} case in {c['lang']}"


def test_context_history_cases_carry_history(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        if c["category"] == "context_history":
            assert c.get("history"), f"{c['_where']}: context_history case without history"


@pytest.mark.parametrize("split", SPLITS)
def test_every_category_in_en_and_ru_in_each_split(
    splits: dict[str, list[dict[str, Any]]], split: str
) -> None:
    present = Counter((c["category"], c["lang"]) for c in splits[split])
    missing = [
        f"{category}/{lang}"
        for category in CATEGORIES
        if category != "other_language"
        for lang in MAIN_LANGS
        if not present[(category, lang)]
    ]
    missing += [
        f"other_language/{lang}" for lang in OTHER_LANGS if not present[("other_language", lang)]
    ]
    assert not missing, f"{split}: no cases for {missing}"


def test_minimum_coverage_per_language(cases: list[dict[str, Any]]) -> None:
    short = []
    for lang in MAIN_LANGS:
        for category, minimum in MINIMUM_PER_LANG.items():
            labels = CRISIS_LIKE if category in CRISIS_CATEGORIES else set(LABELS)
            n = sum(
                c["lang"] == lang and c["category"] == category and c["label"] in labels
                for c in cases
            )
            if n < minimum:
                short.append(f"{lang}/{category}: {n} < {minimum}")
    for lang in OTHER_LANGS:
        per_label = Counter(c["label"] for c in cases if c["lang"] == lang)
        if sum(per_label.values()) < 8 or not per_label["none"] or not per_label["crisis"]:
            short.append(f"{lang}: {dict(per_label)} (need >= 8 with crisis and none)")
    assert not short, "coverage below the agreed minimum: " + "; ".join(short)


def test_obfuscated_cases_cover_the_listed_forms(cases: list[dict[str, Any]]) -> None:
    def mixed_script_word(text: str) -> bool:
        for word in re.findall(r"\w+", text):
            scripts = {unicodedata.name(ch, "").split(" ")[0] for ch in word if ch.isalpha()}
            if {"LATIN", "CYRILLIC"} <= scripts:
                return True
        return False

    forms: dict[str, Callable[[dict[str, Any]], bool]] = {
        "zero-width space": lambda c: "\u200b" in c["text"],
        "zero-width joiner": lambda c: "\u200d" in c["text"],
        "full-width letters": lambda c: any("\uff01" <= ch <= "\uff5e" for ch in c["text"]),
        "Latin/Cyrillic mixed in a word": lambda c: mixed_script_word(c["text"]),
        "curly apostrophe": lambda c: "\u2019" in c["text"],
        "transliterated Russian": lambda c: c["lang"] == "ru" and c["text"].isascii(),
        "all caps": lambda c: c["text"].isupper(),
    }
    obfuscated = [c for c in cases if c["category"] == "obfuscated"]
    for lang in MAIN_LANGS:
        mine = [c for c in obfuscated if c["lang"] == lang]
        for name, found in forms.items():
            if name == "transliterated Russian" and lang != "ru":
                continue
            if name == "curly apostrophe" and lang != "en":
                continue
            assert any(found(c) for c in mine), f"no {lang} obfuscated case with {name}"


def test_about_a_third_have_a_locale(cases: list[dict[str, Any]]) -> None:
    share = sum("locale" in c for c in cases) / len(cases)
    assert 0.25 <= share <= 0.45, f"{share:.0%} of cases have a locale, expected about a third"


def counts_table(cases: list[dict[str, Any]], splits: dict[str, list[dict[str, Any]]]) -> str:
    """Markdown table: per language x category, counts per label in dev | holdout."""
    split_of = {c["id"]: split for split in SPLITS for c in splits[split]}
    n = Counter((c["lang"], c["category"], split_of[c["id"]], c["label"]) for c in cases)
    head = "| lang | category | " + " | ".join(f"dev {lb}" for lb in LABELS) + " | "
    head += " | ".join(f"holdout {lb}" for lb in LABELS) + " | total |"
    lines = [head, "|" + "---|" * (3 + 2 * len(LABELS))]
    for lang in LANGS:
        for category in CATEGORIES:
            row = [n[(lang, category, s, lb)] for s in SPLITS for lb in LABELS]
            if sum(row):
                cells = " | ".join(str(x) if x else "." for x in row)
                lines.append(f"| {lang} | {category} | {cells} | {sum(row)} |")
    totals = [
        sum(v for (_, _, s, lb), v in n.items() if (s, lb) == (sp, lab))
        for sp in SPLITS
        for lab in LABELS
    ]
    lines.append(f"| all | all | {' | '.join(map(str, totals))} | {sum(totals)} |")
    return "\n".join(lines)


def test_readme_counts_are_current(
    cases: list[dict[str, Any]], splits: dict[str, list[dict[str, Any]]]
) -> None:
    readme = (CASES_DIR / "README.md").read_text(encoding="utf-8")
    assert README_START in readme and README_END in readme, "README has no counts block"
    block = readme.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    expected = counts_table(cases, splits)
    assert block == expected, (
        "README counts are out of date; replace the block with the output of "
        "`python tests/safety/test_eval_cases.py`:\n" + expected
    )


if __name__ == "__main__":
    loaded = {split: load(split) for split in SPLITS}
    sys.stdout.write(counts_table([c for s in SPLITS for c in loaded[s]], loaded) + "\n")
