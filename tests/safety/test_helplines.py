"""helplines.yaml schema; every reply carries the right numbers; nothing else has numbers."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import safety
from safety import Level, Verdict
from safety._data import PACKAGE_DIR, load_yaml
from safety.helplines import helpline, helplines, select_helplines

REQUIRED = {"id", "number", "dial", "contact", "kind", "name", "purpose", "hours", "cost",
            "languages", "dial_from", "source", "checked"}


def _sources_dir() -> Path:
    """As in tests/knowledge: $SOURCES_DIR, ../shared/sources beside the repo, or the
    workplace's /work/shared/sources (where a CI clone in /tmp still finds them)."""
    candidates = [os.environ.get("SOURCES_DIR", ""), str(PACKAGE_DIR.parent.parent / "shared" / "sources"),
                  "/work/shared/sources"]
    return next((Path(c) for c in candidates if c and Path(c, "README.md").is_file()), Path(candidates[1]))


SOURCES = _sources_dir()


def test_schema() -> None:
    data = load_yaml("helplines.yaml")
    ids = [line["id"] for line in data["lines"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {"uk_emergency", "eu_emergency", "samaritans", "shout", "ru_line"}
    for line in data["lines"]:
        assert set(line) >= REQUIRED, line["id"]
        assert line["contact"] in ("call", "text")
        assert line["kind"] in ("emergency", "support")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", line["checked"])
        assert line["source"]["file"] or line["source"]["url"]
        assert {"en", "ru"} <= set(line["name"])
        # Unknown facts are null and explained, never invented.
        for field in ("hours", "cost"):
            if line[field] is None:
                assert "UNKNOWN" in line["not_in_source"][field]


def test_numbers_match_the_quoted_source() -> None:
    for line in helplines().values():
        assert line.number in line.source["quote"], line.id
        assert line.dial == re.sub(r"\D", "", line.number)


@pytest.mark.skipif(not SOURCES.exists(), reason="shared source articles not found (set SOURCES_DIR)")
def test_quotes_are_in_the_source_file() -> None:
    data = load_yaml("helplines.yaml")
    for line in helplines().values():
        text = (SOURCES / line.source["file"]).read_text(encoding="utf-8")
        assert line.source["quote"] in text, line.id
        assert line.checked == "2026-11-21"
    assert data["source_file"] == "clinic-page-pharmacotherapy-meta-analysis.txt"


NUMBER_PATTERNS = [r"\b999\b", r"\b112\b", r"116\s?123", r"85258", r"8-?800-?2000-?122", r"88002000122"]


def test_no_phone_number_outside_helplines_yaml() -> None:
    offenders = []
    for path in PACKAGE_DIR.rglob("*"):
        if not path.is_file() or path.suffix not in {".py", ".yaml", ".yml", ".txt", ".json"}:
            continue
        if path.name == "helplines.yaml" or "cases" in path.parts:
            continue  # the case writer's cases may mention numbers ("what's 999?")
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(PACKAGE_DIR)}: {p}" for p in NUMBER_PATTERNS if re.search(p, text)]
    assert not offenders, offenders


def _verdict(level: Level, lang: str, region: str, country: str | None) -> Verdict:
    return Verdict(level, lang, region, country, select_helplines(level, lang, region, country))


EXPECTED = {
    # (lang, region, country): numbers that must appear in a crisis reply
    ("en", "UK", "GB"): ["999", "116 123", "85258"],
    ("en", "UK", None): ["999", "116 123", "85258"],
    ("en", "EU", "DE"): ["112"],
    ("en", "EU", "IE"): ["112", "116 123"],
    ("en", "other", None): ["112", "999"],
    ("en", "other", "US"): ["112"],
    ("ru", "UK", "GB"): ["999", "8-800-2000-122", "116 123"],
    ("ru", "other", None): ["112", "8-800-2000-122"],
    ("ru", "other", "RU"): ["112", "8-800-2000-122"],
    ("ru", "EU", "DE"): ["112", "8-800-2000-122"],
    ("de", "EU", "DE"): ["112"],
}


@pytest.mark.parametrize(("key", "numbers"), EXPECTED.items(), ids=[str(k) for k in EXPECTED])
@pytest.mark.parametrize("level", [Level.CRISIS, Level.EMERGENCY])
def test_reply_numbers(level: Level, key: tuple[str, str, str | None], numbers: list[str]) -> None:
    lang, region, country = key
    verdict = _verdict(level, lang, region, country)
    reply = safety.compose_reply(verdict)
    for number in numbers:
        assert number in reply, (key, number, reply)
    if region == "EU" and country == "DE":
        assert "116 123" not in reply and "85258" not in reply
    if country == "US":
        assert "999" not in reply


@pytest.mark.parametrize("key", list(EXPECTED), ids=[str(k) for k in EXPECTED])
def test_emergency_number_first_for_emergency(key: tuple[str, str, str | None]) -> None:
    lang, region, country = key
    verdict = _verdict(Level.EMERGENCY, lang, region, country)
    reply = safety.compose_reply(verdict)
    emergency = helpline(verdict.helplines[0])
    assert emergency.kind == "emergency"
    first_number = re.search(r"\d[\d -]{1,14}\d|\d{3}", reply)
    assert first_number is not None and first_number.group().startswith(emergency.number)


def test_crisis_lists_support_lines_before_emergency() -> None:
    verdict = _verdict(Level.CRISIS, "en", "UK", "GB")
    assert verdict.helplines == ("samaritans", "shout", "uk_emergency")


@pytest.mark.parametrize("lang", ["en", "ru", "fr"])
@pytest.mark.parametrize("region", ["UK", "EU", "other"])
def test_notice_and_unavailable(lang: str, region: str) -> None:
    notice = safety.compose_notice(lang, region)
    unavailable = safety.compose_unavailable(lang, region)
    for text in (notice, unavailable):
        assert "999" in text and "112" in text
    first = "999" if region == "UK" else "112"
    assert notice.index(first) < notice.index("112" if first == "999" else "999")
    if lang == "ru":
        assert "не кризисная" in notice
    else:
        assert "not a crisis" in notice


def test_replies_say_automated_and_no_method_words() -> None:
    for lang in ("en", "ru"):
        for level in (Level.CRISIS, Level.EMERGENCY):
            reply = safety.compose_reply(_verdict(level, lang, "UK", "GB"))
            assert ("automated" in reply) or ("автоматический" in reply)
            for word in ("pill", "dose", "bridge", "rope", "таблет", "доз", "мост"):
                assert word not in reply.lower()


def test_signpost_is_short() -> None:
    verdict = safety.screen("how common is suicide in people with PTSD?", locale="en-GB")
    signpost = safety.compose_signpost(verdict)
    assert "116 123" in signpost and "999" in signpost
    assert signpost.count(".") <= 3


def test_readme_cites_no_helpline_numbers() -> None:
    # The README's figures may contain any count, so only the distinctive numbers.
    text = (Path(PACKAGE_DIR) / "README.md").read_text(encoding="utf-8")
    assert not any(re.search(p, text) for p in NUMBER_PATTERNS[2:])


def test_replies_yaml_has_no_numbers() -> None:
    text = (Path(PACKAGE_DIR) / "replies.yaml").read_text(encoding="utf-8")
    assert not any(re.search(p, text) for p in NUMBER_PATTERNS)
