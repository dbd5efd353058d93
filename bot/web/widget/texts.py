"""Server-side wording of the widget: kind replies and the always-visible notice line.

Phone numbers never appear in this module: the notice line takes them from
``safety/helplines.yaml`` through :mod:`bot.web.widget.helplines`.
"""

from __future__ import annotations

import logging

from bot.web.widget.helplines import emergency_number

logger = logging.getLogger(__name__)

__all__ = [
    "notice_line",
    "notice_lines",
    "too_long",
    "rate_limited",
    "last_resort",
    "ui_lang",
    "UI_LANGS",
]

UI_LANGS = ("en", "ru")

# The issue requires the English line verbatim:
#   "Not a crisis service: in an emergency call 999 (UK) / 112 (EU)"
# The numbers are filled in from the helplines data so a change there reaches the page.
_NOTICE = {
    "en": "Not a crisis service: in an emergency call {uk} (UK) / {eu} (EU)",
    "ru": "Это не служба экстренной помощи: в экстренной ситуации звоните {uk} (Великобритания) / {eu} (ЕС)",
}

_TOO_LONG = {
    "en": (
        "Your message is longer than I can read at once ({limit:,} characters). "
        "Could you send it in shorter parts, or ask your question in a sentence or two?"
    ),
    "ru": (
        "Ваше сообщение длиннее, чем я могу прочитать за один раз ({limit} символов). "
        "Пожалуйста, отправьте его частями или задайте вопрос в одном-двух предложениях."
    ),
}

_RATE_LIMITED = {
    "en": (
        "You're sending messages faster than I can answer. Your message is kept and will be "
        "sent in a few seconds."
    ),
    "ru": (
        "Вы отправляете сообщения быстрее, чем я успеваю отвечать. Ваше сообщение сохранено "
        "и будет отправлено через несколько секунд."
    ),
}


# Only when the helplines data cannot be read: the same advice without a number.
_NOTICE_FALLBACK = {
    "en": "Not a crisis service: in an emergency call your local emergency number",
    "ru": "Это не служба экстренной помощи: в экстренной ситуации звоните в местную службу спасения",
}

_UNAVAILABLE_FALLBACK = {
    "en": "The assistant is unavailable right now.",
    "ru": "Ассистент сейчас недоступен.",
}


def ui_lang(lang: str | None) -> str:
    """The widget speaks English and Russian; anything else gets English."""
    return lang if lang in UI_LANGS else "en"


def notice_line(lang: str = "en") -> str:
    return _NOTICE[ui_lang(lang)].format(uk=emergency_number("UK"), eu=emergency_number("EU"))


def notice_lines() -> dict[str, str]:
    """The line in every interface language; never raises."""
    try:
        return {lang: notice_line(lang) for lang in UI_LANGS}
    except Exception:  # noqa: BLE001 - helplines data unreadable: still say something useful
        logger.exception("could not compose the notice line from the helplines data")
        return dict(_NOTICE_FALLBACK)


def last_resort(lang: str) -> str:
    """When even the channel fail-safe broke: "unavailable" plus the notice line."""
    lang = ui_lang(lang)
    return f"{_UNAVAILABLE_FALLBACK[lang]} {notice_lines()[lang]}."


def too_long(lang: str, limit: int) -> str:
    return _TOO_LONG[ui_lang(lang)].format(limit=limit)


def rate_limited(lang: str) -> str:
    return _RATE_LIMITED[ui_lang(lang)]
