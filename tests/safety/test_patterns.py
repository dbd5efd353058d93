"""The pattern language (safety/patterns.py)."""

from __future__ import annotations

import pytest

from safety.analysis import analyse
from safety.patterns import PatternError, compile_pattern


def matches(pattern: str, text: str, macros: dict[str, str] | None = None) -> bool:
    return compile_pattern(pattern, macros).regex.search(analyse(text).stream) is not None


def test_lemma_and_surface() -> None:
    assert matches("take ~2 pills", "I took the pills")
    assert not matches("=take ~2 pills", "I took the pills")
    assert matches("=took ~2 pills", "I took the pills")


def test_optional_gap_group_macro_prefix() -> None:
    assert matches("want to? die", "I want die")
    assert matches("kill <self>", "kill myself", {"self": "myself, my self"})
    assert matches("(take my life, end it all)", "I will end it all")
    assert matches("suicid*", "suicidality")
    assert matches("no ~2 live", "no reason to live")
    assert not matches("no ~1 live", "no reason to live")


def test_gap_never_crosses_a_sentence_but_a_boundary_can_be_named() -> None:
    assert not matches("want ~3 die", "I want. To die")
    assert matches("suicidal § again", "SUICIDAL. AGAIN.")


def test_anchor_is_a_required_word() -> None:
    anchor = compile_pattern("(i, me)? want ~1 suicide").anchor
    assert anchor is not None and "suicide" in anchor.words


@pytest.mark.parametrize("bad", ["(a, b", "<nope> x", "a-b", ")"])
def test_errors(bad: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(bad)


def test_every_pattern_in_the_yaml_compiles() -> None:
    from safety.detectors.base import PatternDetector
    from safety.detectors.registry import all_detectors

    count = 0
    for detector in all_detectors():
        if isinstance(detector, PatternDetector):
            for rule in detector.rules:
                for pattern in rule.patterns:
                    assert pattern.regex.pattern.startswith("(?<= )")
                    count += 1
    assert count > 300
