"""The bridge's small stores: rate limiter, locale composition, preferences, memory, steps."""

from __future__ import annotations

import stat

import pytest

from bot.channels.telegram.dialogue import DialogueStates, Step
from bot.channels.telegram.locales import (
    ChatPrefs,
    compose_locale,
    parse_language_code,
    ui_language,
)
from bot.channels.telegram.memory import ChatMemory
from bot.channels.telegram.prefs import PrefsStore
from bot.channels.telegram.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- rate limiter ------------------------------------------------------------------------------


def test_rate_limit_allows_the_limit_then_refuses_and_notifies_once():
    clock = Clock()
    limiter = RateLimiter(limit=3, window=30, clock=clock)
    assert [limiter.check("a").allowed for _ in range(3)] == [True, True, True]
    first, second = limiter.check("a"), limiter.check("a")
    assert (first.allowed, first.notify) == (False, True)
    assert (second.allowed, second.notify) == (False, False)
    assert first.retry_after == pytest.approx(30)
    assert limiter.check("b").allowed  # per chat


def test_rate_limit_window_slides():
    clock = Clock()
    limiter = RateLimiter(limit=2, window=10, clock=clock)
    limiter.check("a")
    clock.now += 6
    limiter.check("a")
    assert not limiter.check("a").allowed
    clock.now += 4  # the first message left the window
    assert limiter.check("a").allowed
    assert not limiter.check("a").allowed
    # After a refusal and a quiet spell, the next burst is told again.
    clock.now += 10
    assert limiter.check("a").allowed
    limiter.check("a")
    assert limiter.check("a").notify


def test_rate_limit_can_be_disabled_and_forgotten():
    assert all(RateLimiter(0, 30).check("a").allowed for _ in range(100))
    limiter = RateLimiter(1, 30)
    limiter.check("a")
    limiter.forget("a")
    assert limiter.check("a").allowed


def test_rate_limiter_memory_is_bounded():
    limiter = RateLimiter(1, 30, max_chats=100)
    for chat in range(1000):
        limiter.check(chat)
    assert len(limiter._chats) == 100


# --- locale ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "parsed"),
    [
        ("ru", ("ru", None)),
        ("en-GB", ("en", "GB")),
        ("pt-br", ("pt", "BR")),
        ("zh-hans", ("zh", None)),
        ("sr-Latn-RS", ("sr", "RS")),
        ("es-419", ("es", None)),
        ("", (None, None)),
        (None, (None, None)),
        (42, (None, None)),
        ("x" * 1000, (None, None)),
        ("12-34", (None, None)),
    ],
)
def test_parse_language_code(code, parsed):
    assert parse_language_code(code) == parsed


@pytest.mark.parametrize(
    ("code", "prefs", "locale"),
    [
        ("ru", ChatPrefs(), "ru"),
        ("en-GB", ChatPrefs(), "en-GB"),
        (None, ChatPrefs(), None),
        ("ru", ChatPrefs(country="DE"), "ru-DE"),
        ("ru", ChatPrefs(lang="en"), "en"),
        ("en-GB", ChatPrefs(lang="ru"), "ru-GB"),
        ("de-DE", ChatPrefs(lang="ru", country="GB"), "ru-GB"),
        (None, ChatPrefs(country="FR"), "en-FR"),
        ("garbage!!", ChatPrefs(), None),
    ],
)
def test_compose_locale_prefers_the_explicit_choice(code, prefs, locale):
    assert compose_locale(code, prefs) == locale


def test_ui_language():
    assert [ui_language(x) for x in ("ru", "en", "de", None)] == ["ru", "en", "en", "en"]


# --- preferences (SQLite) ------------------------------------------------------------------------


def test_prefs_persist_and_forget(tmp_path):
    path = tmp_path / "state" / "telegram.db"
    store = PrefsStore(path)
    store.open()
    assert store.get(1) == ChatPrefs()
    store.set_language(1, "ru")
    store.set_country(1, "DE")
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    again = PrefsStore(path)
    again.open()
    assert again.get(1) == ChatPrefs(lang="ru", country="DE")
    again.set_language(1, None)
    assert again.get(1) == ChatPrefs(country="DE")
    again.forget(1)
    assert again.get(1) == ChatPrefs()
    rows = again._db().execute("SELECT count(*) FROM chat_prefs").fetchone()[0]
    assert rows == 0  # forgotten means deleted, not blanked
    again.close()


# --- memory and steps ----------------------------------------------------------------------------


def test_memory_keeps_the_last_two_texts_and_payloads():
    memory = ChatMemory(max_chats=2)
    for text in ("a", "b", "c"):
        memory.remember(1, text)
    assert memory.history(1) == ("b", "c")
    memory.set_payloads(1, ["/ask_ptsd", "/ask_mdma"])
    assert memory.payload(1, 1) == "/ask_mdma"
    assert memory.payload(1, 2) is None and memory.payload(9, 0) is None
    memory.remember(2, "x")
    memory.remember(3, "y")  # evicts chat 1, the least recent
    assert memory.history(1) == ()
    memory.forget(3)
    assert memory.history(3) == ()


def test_notice_mark_is_taken_once_and_forgotten_with_the_chat():
    memory = ChatMemory()
    assert memory.take_notice_shown(1) is False
    memory.mark_notice_shown(1)
    assert memory.take_notice_shown(2) is False  # per chat
    assert memory.take_notice_shown(1) is True
    assert memory.take_notice_shown(1) is False  # only the next text carries it
    memory.mark_notice_shown(1)
    memory.forget(1)
    assert memory.take_notice_shown(1) is False


def test_dialogue_steps_expire():
    clock = Clock()
    states = DialogueStates(ttl=600, clock=clock)
    states.enter(1, Step.CONFIRMING_FORGET)
    assert states.is_in(1, Step.CONFIRMING_FORGET)
    assert not states.is_in(1, Step.CHOOSING_LANGUAGE)
    clock.now += 601
    assert states.current(1) is None
    states.enter(1, Step.CHOOSING_REGION)
    states.end(1)
    assert states.current(1) is None
