"""Reply texts composed from helplines.yaml and replies.yaml, in the user's language.

English and Russian have their own texts; any other language gets English with the
local emergency number. Every number comes from :mod:`safety.helplines`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from safety._data import load_yaml
from safety.helplines import Helpline, emergency_line, helpline, select_helplines
from safety.verdict import Level, Verdict

__all__ = ["compose_reply", "compose_signpost", "compose_notice", "compose_unavailable"]

REPLY_LANGUAGES = ("en", "ru")


@cache
def _texts(lang: str) -> dict[str, Any]:
    data = load_yaml("replies.yaml")
    texts = dict(data[lang if lang in REPLY_LANGUAGES else "en"])
    texts["clinic"] = data["clinic"]
    return texts


def _reply_lang(lang: str) -> str:
    return lang if lang in REPLY_LANGUAGES else "en"


def _details(line: Helpline, texts: dict[str, Any], region: str, country: str | None) -> str:
    parts: list[str] = []
    if line.cost == "free":
        parts.append(str(texts["free"]))
    if line.hours == "24/7":
        parts.append(str(texts["hours_24_7"]))
    reachable = region in line.dial_from or (country is not None and country in line.dial_from)
    if not reachable:
        places = ", ".join(str(texts["places"].get(p, p)) for p in line.dial_from)
        parts.append(str(texts["only_from"]).format(places=places))
    return f" ({', '.join(parts)})" if parts else ""


def _line_text(line: Helpline, texts: dict[str, Any], region: str, country: str | None) -> str:
    template = texts["line_text"] if line.contact == "text" else texts["line_call"]
    base = str(template).format(name=line.name(texts.get("_lang", "en")), number=line.number,
                                keyword=line.keyword or "")
    return base + _details(line, texts, region, country)


def _lang_texts(lang: str) -> dict[str, Any]:
    texts = dict(_texts(_reply_lang(lang)))
    texts["_lang"] = _reply_lang(lang)
    return texts


def _emergency_phrase(ids: tuple[str, ...], texts: dict[str, Any], region: str) -> str:
    """The region's emergency number, plus the UK one when the country is unknown."""
    emergency_ids = [i for i in ids if helpline(i).kind == "emergency"]
    primary = emergency_line(region)
    phrase = primary.number
    extras = [helpline(i) for i in emergency_ids if i != primary.id]
    if extras:
        also = ", ".join(
            str(texts["also_in"]).format(number=x.number, place=texts["places"].get(x.dial_from[0], x.dial_from[0]))
            for x in extras
        )
        phrase = str(texts["with_also"]).format(primary=phrase, also=also)
    return phrase


def compose_reply(verdict: Verdict) -> str:
    """The crisis / emergency reply (the helplines first, no treatment content)."""
    texts = _lang_texts(verdict.lang)
    level = verdict.level if verdict.level.at_least(Level.CRISIS) else Level.CRISIS
    ids = verdict.helplines or select_helplines(level, verdict.lang, verdict.region, verdict.country)
    emergency = _emergency_phrase(ids, texts, verdict.region)
    support = [helpline(i) for i in ids if helpline(i).kind == "support"]
    bullet_lines = "\n".join(
        f"• {_line_text(line, texts, verdict.region, verdict.country)}" for line in support
    )
    if level == Level.EMERGENCY:
        lines_block = f"{texts['emergency_support_intro']}\n{bullet_lines}" if support else ""
        text = str(texts["emergency"]).format(emergency=emergency, support_lines=lines_block)
    elif support:
        text = str(texts["crisis"]).format(emergency=emergency, support_lines=bullet_lines)
    else:
        text = str(texts["crisis_no_lines"]).format(emergency=emergency)
    return "\n".join(line for line in text.splitlines() if line.strip())


def compose_signpost(verdict: Verdict) -> str:
    """One or two sentences to append to a normal answer when the level is ``support``."""
    texts = _lang_texts(verdict.lang)
    ids = select_helplines(Level.SUPPORT, verdict.lang, verdict.region, verdict.country)
    emergency = _emergency_phrase(ids, texts, verdict.region)
    support = [helpline(i) for i in ids if helpline(i).kind == "support"]
    if not support:
        return str(texts["signpost_no_lines"]).format(emergency=emergency)
    first = _line_text(support[0], texts, verdict.region, verdict.country)
    return str(texts["signpost"]).format(first_line=first, emergency=emergency)


def _both_emergency_numbers(texts: dict[str, Any], region: str) -> str:
    primary = emergency_line(region)
    others = [helpline(i) for i in ("uk_emergency", "eu_emergency") if i != primary.id]
    labels = texts["region_labels"]
    parts = [f"{primary.number} ({labels.get(primary.id, '')})"] + [
        f"{x.number} ({labels.get(x.id, '')})" for x in others
    ]
    return f" {texts['or']} ".join(parts)


def compose_notice(lang: str, region: str) -> str:
    """The first-reply notice: automated assistant of a scheduled clinic, not a crisis service."""
    texts = _lang_texts(lang)
    return str(texts["notice"]).format(
        clinic=texts["clinic"], emergency_both=_both_emergency_numbers(texts, region)
    )


def compose_unavailable(lang: str, region: str) -> str:
    """The channels' fail-safe text when the assistant cannot answer."""
    texts = _lang_texts(lang)
    ids = select_helplines(Level.SUPPORT, lang, region, None)
    support = [helpline(i) for i in ids if helpline(i).kind == "support"]
    sentence = ""
    if support:
        sentence = str(texts["unavailable_support"]).format(
            first_line=_line_text(support[0], texts, region, None)
        )
    return str(texts["unavailable"]).format(
        emergency_both=_both_emergency_numbers(texts, region), support_sentence=sentence
    )
