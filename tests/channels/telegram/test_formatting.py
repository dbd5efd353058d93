"""Splitting at Telegram's limit and escaping for a parse mode (table-driven)."""

from __future__ import annotations

import re

import pytest
from telegram.constants import ParseMode

from bot.channels.telegram.formatting import (
    MESSAGE_LIMIT,
    clean_text,
    escape,
    split_message,
    telegram_length,
)

SENTENCE = "Trauma-focused therapies such as CBT and EMDR have the strongest evidence. "


def _words(text: str) -> list[str]:
    return text.split()


def test_limit_is_telegrams():
    assert MESSAGE_LIMIT == 4096


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_text_gives_no_parts(text):
    assert split_message(text) == []


def test_short_text_is_one_part_unchanged():
    assert split_message("How fast does ketamine work?") == ["How fast does ketamine work?"]


@pytest.mark.parametrize(
    ("name", "text", "boundary"),
    [
        ("paragraphs", ("para " * 300 + "\n\n") * 5, "\n\n"),
        ("lines", ("line " * 150 + "\n") * 12, "\n"),
        ("sentences", SENTENCE * 200, ". "),
    ],
)
def test_long_text_splits_on_the_largest_boundary_and_loses_nothing(name, text, boundary):
    parts = split_message(text)
    assert len(parts) > 1, name
    assert all(0 < telegram_length(p) <= MESSAGE_LIMIT for p in parts)
    assert _words(" ".join(parts)) == _words(text)  # nothing lost, order kept
    if boundary == ". ":
        assert all(p.endswith(".") for p in parts[:-1])


def test_words_are_not_cut_when_there_are_spaces():
    text = " ".join(f"word{i}" for i in range(3000))
    parts = split_message(text)
    assert all(re.fullmatch(r"[\w ]+", p) for p in parts)
    assert _words(" ".join(parts)) == _words(text)


def test_one_enormous_word_is_cut_hard():
    text = "x" * 10_000
    parts = split_message(text)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_emoji_count_twice_and_are_never_cut_in_half():
    text = "😀" * 5000  # each is two UTF-16 code units
    parts = split_message(text)
    assert all(telegram_length(p) <= MESSAGE_LIMIT for p in parts)
    assert "".join(parts) == text
    assert len(parts[0]) == 2048


def test_zwj_sequences_stay_together():
    family = "👨\u200d👩\u200d👧"
    text = family * 1000
    parts = split_message(text)
    assert "".join(parts) == text
    for part in parts:
        assert not part.startswith("\u200d") and not part.endswith("\u200d")


def test_combining_marks_stay_with_their_letter():
    text = "е\u0301" * 3000  # Cyrillic e with a combining acute accent
    parts = split_message(text)
    assert "".join(parts) == text
    assert all(not p.startswith("\u0301") for p in parts)


def test_cyrillic_text_splits_like_latin():
    text = "Психотерапия, сфокусированная на травме, помогает многим людям. " * 150
    parts = split_message(text)
    assert len(parts) == 3
    assert _words(" ".join(parts)) == _words(text)


@pytest.mark.parametrize(
    ("mode", "raw", "escaped"),
    [
        (None, "<b>1 * 2</b> & [x](y)", "<b>1 * 2</b> & [x](y)"),
        (ParseMode.HTML, "<b>a & b</b>", "&lt;b&gt;a &amp; b&lt;/b&gt;"),
        (ParseMode.MARKDOWN_V2, "1.5 * (2) _x_ [a](b) !", r"1\.5 \* \(2\) \_x\_ \[a\]\(b\) \!"),
    ],
)
def test_escape(mode, raw, escaped):
    assert escape(raw, mode) == escaped


def test_legacy_markdown_is_refused():
    with pytest.raises(ValueError):
        escape("x", ParseMode.MARKDOWN)


@pytest.mark.parametrize("mode", [ParseMode.HTML, ParseMode.MARKDOWN_V2])
def test_split_measures_the_escaped_text(mode):
    text = "a<b>&*_ " * 2000  # escaping roughly doubles its length
    parts = split_message(text, parse_mode=mode)
    assert all(telegram_length(p) <= MESSAGE_LIMIT for p in parts)
    assert len(parts) >= 4
    # Every part is escaped on its own: no escape sequence is split between parts.
    if mode == ParseMode.HTML:
        assert all(not re.search(r"&[a-z]*$", p) for p in parts)
    else:
        assert all(not p.endswith("\\") for p in parts)


def test_clean_text_replaces_lone_surrogates_only():
    assert clean_text("ok \ud800 😀 тест") == "ok \ufffd 😀 тест"
    assert clean_text("plain") == "plain"
