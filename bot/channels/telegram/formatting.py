"""Make text safe to send: split at Telegram's length limit, escape for the parse mode.

The bridge sends plain text (``parse_mode=None``): a reply from Rasa or a user's own
words then can never be misread as markup, and nothing needs escaping. HTML and
MarkdownV2 are supported here so that a future formatted message is escaped and
split correctly (escaping makes text longer, so we split on the escaped length).

Telegram counts a message's length in UTF-16 code units (an emoji outside the Basic
Multilingual Plane counts twice), so that is what we measure.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from telegram.constants import MessageLimit, ParseMode
from telegram.helpers import escape_markdown

__all__ = ["MESSAGE_LIMIT", "telegram_length", "escape", "split_message", "clean_text"]

MESSAGE_LIMIT: int = MessageLimit.MAX_TEXT_LENGTH  # 4096

# From the largest unit to the smallest: paragraphs, lines, sentences, words.
# Each pattern matches the separator; the separator stays with the text before it.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…;:])[\"'»”)\]]*\s+"),
    re.compile(r"\s+"),
)
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}  # zero-width joiner, variation selectors
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def escape(text: str, parse_mode: str | None) -> str:
    """Escape ``text`` so it shows literally under ``parse_mode`` (None = plain text)."""
    if parse_mode is None:
        return text
    if parse_mode == ParseMode.HTML:
        return html.escape(text, quote=False)
    if parse_mode == ParseMode.MARKDOWN_V2:
        return escape_markdown(text, version=2)
    # Legacy Markdown cannot escape every character inside entities; refuse rather than guess.
    raise ValueError(f"unsupported parse mode: {parse_mode!r}")


def clean_text(text: str) -> str:
    """Text that every later step can encode: lone surrogates (possible in JSON) become U+FFFD.

    Everything else is kept as the user wrote it: the safety screen does its own
    normalisation, and changing the user's words here would change what it sees.
    """
    return _SURROGATES.sub("\ufffd", text)


def _pieces(text: str, boundary: re.Pattern[str]) -> list[str]:
    """Split after each separator, keeping it attached to the text before it."""
    out: list[str] = []
    start = 0
    for match in boundary.finditer(text):
        if match.end() == 0:
            continue
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return [p for p in out if p]


def _hard_split(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """Last resort for a single "word" longer than the limit: cut between characters,
    never inside a combining sequence or an emoji joined with ZWJ."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        cost = measure(ch)
        glue = unicodedata.combining(ch) or ch in _JOINERS or (current and current[-1] == "\u200d")
        if size + cost > limit and current and not glue:
            parts.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += cost
    if current:
        parts.append("".join(current))
    # A pathological run of combining marks longer than the limit: cut it anyway.
    result: list[str] = []
    for part in parts:
        while measure(part) > limit:
            cut = limit
            while cut > 1 and measure(part[:cut]) > limit:
                cut -= 1
            result.append(part[:cut])
            part = part[cut:]
        if part:
            result.append(part)
    return result


def _split(text: str, limit: int, measure: Callable[[str], int], level: int) -> list[str]:
    if measure(text) <= limit:
        return [text]
    if level >= len(_BOUNDARIES):
        return _hard_split(text, limit, measure)
    pieces = _pieces(text, _BOUNDARIES[level])
    if len(pieces) <= 1:
        return _split(text, limit, measure, level + 1)
    chunks: list[str] = []
    current = ""
    current_size = 0
    for piece in pieces:
        size = measure(piece)
        if size > limit:
            if current:
                chunks.append(current)
                current, current_size = "", 0
            chunks.extend(_split(piece, limit, measure, level + 1))
            continue
        # Escaped length and UTF-16 length are both additive, so sizes can be summed.
        if current and current_size + size > limit:
            chunks.append(current)
            current, current_size = "", 0
        current += piece
        current_size += size
    if current:
        chunks.append(current)
    return chunks


def split_message(
    text: str, limit: int = MESSAGE_LIMIT, parse_mode: str | None = None
) -> list[str]:
    """Split ``text`` into escaped parts that Telegram accepts, in order.

    Prefers paragraph, then line, sentence and word boundaries. Each part is at most
    ``limit`` UTF-16 code units after escaping and is never empty or whitespace only
    (Telegram rejects those). Empty input gives an empty list.
    """
    if limit < 16:
        raise ValueError("limit too small")

    def measure(piece: str) -> int:
        return telegram_length(escape(piece, parse_mode))

    parts = []
    for chunk in _split(text, limit, measure, 0):
        chunk = chunk.strip()
        if chunk:
            parts.append(escape(chunk, parse_mode))
    return parts
