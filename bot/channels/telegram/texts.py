"""The bridge's own messages, in English and Russian.

No phone number appears here: every number shown to users comes from
safety/helplines.yaml through ``safety.compose_notice`` / ``compose_reply`` /
``compose_unavailable``. Texts are plain (the bridge sends without a parse mode).
"""

from __future__ import annotations

from bot.channels.telegram.locales import ui_language

__all__ = ["text", "COUNTRIES", "country_name", "normalise_country", "LANGUAGE_NAMES"]

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        # Follows safety.compose_notice (greeting, who we are, not a clinician or a
        # crisis service, emergency numbers), so it does not repeat those.
        "start_intro": (
            "I answer general questions about PTSD and its treatments (talking therapies, "
            "medication, ketamine and MDMA-assisted therapy) from published research, and "
            "I name my sources. I cannot give personal medical advice: for questions about "
            "your own treatment, please talk to your clinician."
        ),
        "start_privacy": (
            "Your messages in this chat are stored so that the clinic's clinicians can "
            "review the conversation (clinical audit). By writing to me you agree to this. "
            "You can erase the stored conversation at any time with /forget."
        ),
        "commands": (
            "/help - how to use me\n"
            "/language - English or Russian\n"
            "/region - UK or your EU country, for the right emergency numbers\n"
            "/forget - erase our conversation"
        ),
        "help_intro": (
            "Type a question about PTSD or its treatment, for example: "
            "\"How fast does ketamine work?\" or \"What is EMDR?\". "
            "I answer from published research and name the source. I only read text messages."
        ),
        "only_text": (
            "I can only read text messages. Please type your question. "
            "Photos, voice messages, videos, stickers and files are not read."
        ),
        "edited": (
            "I only read new messages, not edits. If you changed something, "
            "please send it again as a new message."
        ),
        "private_only": (
            "To keep conversations private I only talk in a private chat. "
            "Please open a private chat with me."
        ),
        "unknown_command": "I don't know that command.",
        "rate_limited": (
            "You are sending messages faster than I can read them. Please wait about "
            "{seconds} seconds, then send your message again."
        ),
        "rephrase": "Sorry, I could not answer that. Could you rephrase your question?",
        "expired": "This menu has expired. Please send the command again.",
        "button_expired": "This button has expired. Please type your question.",
        "forget_confirm": (
            "Erase our conversation? This deletes the conversation stored for this chat "
            "(for clinical audit) and your language and region choices. It cannot be undone."
        ),
        "forget_yes": "Yes, erase",
        "forget_no": "No, keep it",
        "forget_done": (
            "Done: the stored conversation and your choices for this chat have been erased. "
            "If you write again, a new conversation starts."
        ),
        "forget_kept": "Nothing was erased.",
        "forget_failed": (
            "Sorry, I could not erase the conversation right now, so nothing was changed. "
            "Please try /forget again later, or ask the clinic team to erase it."
        ),
        "language_prompt": "Which language should I use?",
        "language_auto": "Same as my Telegram",
        "language_done_en": "I will answer in English.",
        "language_done_ru": "I will answer in Russian.",
        "language_done_auto": "I will follow the language of your Telegram app.",
        "language_unknown": "I can answer in English or Russian: /language en or /language ru.",
        "region_prompt": (
            "Where are you? This decides which emergency and helpline numbers I show."
        ),
        "region_uk": "United Kingdom",
        "region_eu": "EU / EEA country",
        "region_auto": "Same as my Telegram",
        "country_prompt": "Which country?",
        "region_done": "Region set: {name}.",
        "region_done_auto": "I will follow the region of your Telegram app.",
        "region_unknown": (
            "I know the UK and the EU/EEA countries: for example /region UK or /region DE."
        ),
        "forget_held": (
            "I could not erase the conversation: the clinic is required to keep it for now "
            "(a legal hold). Please ask the clinic team about it."
        ),
        "unavailable_no_screen": (
            "Sorry, I am temporarily unavailable. If you are in danger, please call your "
            "local emergency number now."
        ),
    },
    "ru": {
        "start_intro": (
            "Я отвечаю на общие вопросы о ПТСР и его лечении (психотерапия, лекарства, "
            "кетамин и психотерапия с МДМА) по опубликованным исследованиям и называю "
            "источники. Я не могу давать личных медицинских советов: вопросы о вашем "
            "собственном лечении, пожалуйста, обсудите с вашим лечащим врачом."
        ),
        "start_privacy": (
            "Ваши сообщения в этом чате сохраняются, чтобы врачи клиники могли проверить "
            "разговор (клинический аудит). Продолжая писать, вы соглашаетесь с этим. "
            "Удалить сохранённый разговор можно в любой момент командой /forget."
        ),
        "commands": (
            "/help - как мной пользоваться\n"
            "/language - русский или английский\n"
            "/region - Великобритания или ваша страна ЕС, чтобы показывать нужные номера\n"
            "/forget - удалить наш разговор"
        ),
        "help_intro": (
            "Напишите вопрос о ПТСР или его лечении, например: «Как быстро действует "
            "кетамин?» или «Что такое ДПДГ?». Я отвечаю по опубликованным исследованиям и "
            "называю источник. Я читаю только текстовые сообщения."
        ),
        "only_text": (
            "Я читаю только текстовые сообщения. Пожалуйста, напишите вопрос текстом. "
            "Фото, голосовые сообщения, видео, стикеры и файлы я не читаю."
        ),
        "edited": (
            "Я читаю только новые сообщения, а не исправления. Если вы что-то изменили, "
            "пожалуйста, отправьте это новым сообщением."
        ),
        "private_only": (
            "Чтобы разговор оставался личным, я общаюсь только в личном чате. "
            "Пожалуйста, напишите мне в личные сообщения."
        ),
        "unknown_command": "Я не знаю такой команды.",
        "rate_limited": (
            "Вы отправляете сообщения быстрее, чем я успеваю их читать. Пожалуйста, "
            "подождите примерно {seconds} с и отправьте сообщение ещё раз."
        ),
        "rephrase": (
            "К сожалению, я не смог ответить на это. Не могли бы вы сформулировать вопрос иначе?"
        ),
        "expired": "Это меню устарело. Пожалуйста, отправьте команду ещё раз.",
        "button_expired": "Эта кнопка устарела. Пожалуйста, напишите вопрос текстом.",
        "forget_confirm": (
            "Удалить наш разговор? Будут удалены разговор, сохранённый для этого чата "
            "(для клинического аудита), и выбранные язык и регион. Это нельзя отменить."
        ),
        "forget_yes": "Да, удалить",
        "forget_no": "Нет, оставить",
        "forget_done": (
            "Готово: сохранённый разговор и ваши настройки для этого чата удалены. "
            "Если вы напишете снова, начнётся новый разговор."
        ),
        "forget_kept": "Ничего не удалено.",
        "forget_failed": (
            "К сожалению, сейчас не получилось удалить разговор, поэтому ничего не изменено. "
            "Попробуйте /forget позже или попросите команду клиники удалить его."
        ),
        "language_prompt": "На каком языке отвечать?",
        "language_auto": "Как в Telegram",
        "language_done_en": "Буду отвечать по-английски.",
        "language_done_ru": "Буду отвечать по-русски.",
        "language_done_auto": "Буду использовать язык вашего приложения Telegram.",
        "language_unknown": "Я могу отвечать по-русски или по-английски: /language ru или /language en.",
        "region_prompt": (
            "Где вы находитесь? От этого зависит, какие номера экстренных служб и "
            "телефонов доверия я покажу."
        ),
        "region_uk": "Великобритания",
        "region_eu": "Страна ЕС / ЕЭЗ",
        "region_auto": "Как в Telegram",
        "country_prompt": "Какая страна?",
        "region_done": "Регион: {name}.",
        "region_done_auto": "Буду использовать регион вашего приложения Telegram.",
        "region_unknown": (
            "Я знаю Великобританию и страны ЕС/ЕЭЗ: например, /region UK или /region DE."
        ),
        "forget_held": (
            "Не получилось удалить разговор: клиника обязана пока его хранить (юридическое "
            "требование). Пожалуйста, уточните у команды клиники."
        ),
        "unavailable_no_screen": (
            "Извините, я временно недоступен. Если вы в опасности, пожалуйста, сейчас же "
            "позвоните в местную экстренную службу."
        ),
    },
}

LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}

# The choices /region offers: the UK and the EU/EEA states (112 everywhere), as
# (ISO code, English name, Russian name). Which helplines a country gets is decided
# by the safety library from the locale, not here.
COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("AT", "Austria", "Австрия"),
    ("BE", "Belgium", "Бельгия"),
    ("BG", "Bulgaria", "Болгария"),
    ("HR", "Croatia", "Хорватия"),
    ("CY", "Cyprus", "Кипр"),
    ("CZ", "Czechia", "Чехия"),
    ("DK", "Denmark", "Дания"),
    ("EE", "Estonia", "Эстония"),
    ("FI", "Finland", "Финляндия"),
    ("FR", "France", "Франция"),
    ("DE", "Germany", "Германия"),
    ("GR", "Greece", "Греция"),
    ("HU", "Hungary", "Венгрия"),
    ("IS", "Iceland", "Исландия"),
    ("IE", "Ireland", "Ирландия"),
    ("IT", "Italy", "Италия"),
    ("LV", "Latvia", "Латвия"),
    ("LI", "Liechtenstein", "Лихтенштейн"),
    ("LT", "Lithuania", "Литва"),
    ("LU", "Luxembourg", "Люксембург"),
    ("MT", "Malta", "Мальта"),
    ("NL", "Netherlands", "Нидерланды"),
    ("NO", "Norway", "Норвегия"),
    ("PL", "Poland", "Польша"),
    ("PT", "Portugal", "Португалия"),
    ("RO", "Romania", "Румыния"),
    ("SK", "Slovakia", "Словакия"),
    ("SI", "Slovenia", "Словения"),
    ("ES", "Spain", "Испания"),
    ("SE", "Sweden", "Швеция"),
)
_UK = ("GB", "United Kingdom", "Великобритания")
_BY_CODE = {c[0]: c for c in (*COUNTRIES, _UK)}
_ALIASES = {"UK": "GB", "EL": "GR"}


def text(key: str, lang: str | None, **values: object) -> str:
    table = _TEXTS[ui_language(lang)]
    template = table.get(key) or _TEXTS["en"][key]
    return template.format(**values) if values else template


def normalise_country(code: str) -> str | None:
    """A country code the /region command accepts ("uk", "GB", "de") -> "GB", "DE"; else None."""
    code = code.strip().upper()
    code = _ALIASES.get(code, code)
    return code if code in _BY_CODE else None


def country_name(code: str, lang: str | None) -> str:
    entry = _BY_CODE.get(code)
    if entry is None:
        return code
    return entry[2] if ui_language(lang) == "ru" else entry[1]
