"""The widget in a real browser against the real stack (Rasa, action server, web app).

Debian's Chromium (``/usr/bin/chromium``) driven by Playwright; no browser is
downloaded. Screenshots for review go to ``var/screenshots/widget/``.

Sync Playwright in plain (sync) tests: it cannot run inside pytest-asyncio's loop, and
these tests need none.
"""

from __future__ import annotations

import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import safety
from bot.settings import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300, func_only=True)]  # fixtures (training, start-up) bounded on their own

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots" / "widget"
REPLY_TIMEOUT_MS = 30_000
NOTICE = "Not a crisis service: in an emergency call 999 (UK) / 112 (EU)"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's Chromium is not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(stack) -> str:
    """The demo page URL, after one warm-up message so Rasa's first reply is not slow."""
    rasa = stack.settings.rasa_url
    httpx.post(
        f"{rasa}/webhooks/rest/webhook",
        json={"sender": "warm-up", "message": "hello", "metadata": {"locale": "en-GB"}},
        timeout=120,
    )
    url = f"http://127.0.0.1:{stack.settings.web_port}/"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200
    return url


@pytest.fixture
def page(browser, site, request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, reduced_motion="reduce", locale="en-GB"
    )
    opened = context.new_page()
    opened.errors = []  # type: ignore[attr-defined]
    opened.on("pageerror", lambda exc: opened.errors.append(str(exc)))
    opened.on(
        "console",
        lambda msg: opened.errors.append(msg.text) if msg.type == "error" else None,
    )
    opened.goto(site)
    yield opened
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def send(page, text: str, box: str = "Message") -> str:
    """Type into the labelled textbox, press Send; return the new message's client id."""
    before = page.locator(".mlw-msg--user").count()
    page.get_by_role("textbox", name=box).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    bubble = page.locator(".mlw-msg--user").nth(before)
    bubble.wait_for()
    return bubble.get_attribute("data-id")


def replies(page, message_id: str) -> list[str]:
    selector = f'.mlw-msg--bot[data-reply-to="{message_id}"]'
    page.locator(selector).first.wait_for(timeout=REPLY_TIMEOUT_MS)
    return [t.strip() for t in page.locator(f"{selector} .mlw-text").all_inner_texts()]


def log_text(page) -> str:
    return page.get_by_role("log").inner_text()


# --- what an outside checker looks for -------------------------------------------------


def test_page_has_textbox_send_button_log_and_notice(page):
    log = page.get_by_role("log")
    assert log.count() == 1
    assert log.get_attribute("aria-live") == "polite"
    assert page.get_by_role("textbox", name="Message").is_visible()
    assert page.get_by_role("button", name="Send", exact=True).is_visible()
    page.get_by_text(NOTICE).first.wait_for()
    assert page.locator(".mlw-notice").first.inner_text() == NOTICE
    assert page.errors == []
    shot(page, "01-open")


def test_crisis_message_gets_the_helplines_first(page):
    text = "I want to kill myself"
    got = replies(page, send(page, text))
    verdict = safety.screen(text, locale="en-GB")
    assert got[0] == safety.compose_reply(verdict)
    for number in ("999", "116 123", "85258"):
        assert number in got[0]
    assert not any("Source:" in reply for reply in got)  # no treatment content in that turn
    shot(page, "02-crisis")


def test_russian_crisis_message_gets_the_russian_line(page):
    page.get_by_role("button", name=re.compile("Language and region")).click()
    page.get_by_label("Where are you now?").select_option("DE")  # an EU country: 112
    page.get_by_label("Language", exact=True).select_option("ru")
    # The interface follows; the Send button keeps its accessible name.
    assert page.get_by_role("textbox", name="Сообщение").is_visible()
    send_button = page.get_by_role("button", name="Send", exact=True)
    assert send_button.inner_text() == "Отправить"
    page.keyboard.press("Escape")
    got = replies(page, send(page, "я больше не хочу жить", box="Сообщение"))
    assert "8-800-2000-122" in got[0]
    assert "112" in got[0]
    shot(page, "03-crisis-ru")


def test_treatment_question_gets_an_answer_with_a_source(page):
    got = replies(page, send(page, "how fast does ketamine work?"))
    assert "Source:" in got[0]
    assert "ketamine" in got[0].lower()
    shot(page, "04-treatment-answer")


def test_reload_keeps_the_conversation(page):
    message_id = send(page, "what is EMDR?")
    before = replies(page, message_id)
    page.reload()
    page.locator(f'.mlw-msg--bot[data-reply-to="{message_id}"]').first.wait_for()
    assert page.locator(f'.mlw-msg--user[data-id="{message_id}"]').count() == 1
    after = [
        t.strip()
        for t in page.locator(
            f'.mlw-msg--bot[data-reply-to="{message_id}"] .mlw-text'
        ).all_inner_texts()
    ]
    assert after == before
    assert "what is EMDR?" in log_text(page)
    shot(page, "05-after-reload")


def test_xss_payload_is_shown_as_text(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    payload = "<img src=x onerror=alert(1)>"
    message_id = send(page, payload)
    replies(page, message_id)
    bubble = page.locator(f'.mlw-msg--user[data-id="{message_id}"] .mlw-text')
    assert bubble.inner_text() == payload
    assert page.locator(".mlw-root img").count() == 0
    page.reload()  # and again from the stored history
    page.locator(f'.mlw-msg--user[data-id="{message_id}"]').wait_for()
    assert page.locator(f'.mlw-msg--user[data-id="{message_id}"] .mlw-text').inner_text() == payload
    assert page.locator(".mlw-root img").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == []
    shot(page, "06-xss-as-text")


def test_keyboard_only(page):
    # Tab from the top of the page until the message box has focus.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "mlw-input":
            break
    else:
        pytest.fail("Tab never reached the message box")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # visible focus
    page.keyboard.type("tell me a joke")  # out of scope: the assistant offers topic buttons
    page.keyboard.press("Enter")
    page.locator(".mlw-quick-button").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    # Shift+Enter makes a new line instead of sending.
    page.keyboard.type("line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    assert page.get_by_role("textbox", name="Message").input_value() == "line one\nline two"
    page.get_by_role("textbox", name="Message").fill("")
    # Tab (backwards: the buttons sit just above the box) to a quick reply; Enter sends it.
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if "mlw-quick-button" in page.evaluate("document.activeElement.className"):
            break
    else:
        pytest.fail("Tab never reached a quick-reply button")
    title = page.evaluate("document.activeElement.textContent")
    shot(page, "07-keyboard-quick-reply-focus")
    users_before = page.locator(".mlw-msg--user").count()
    page.keyboard.press("Enter")
    chosen = page.locator(".mlw-msg--user").nth(users_before)
    chosen.wait_for()
    assert chosen.locator(".mlw-text").inner_text() == title
    replies(page, chosen.get_attribute("data-id"))
    assert page.evaluate("document.activeElement.id") == "mlw-input"
    # Escape closes the chat and focus goes to the launcher; Enter opens it again.
    page.keyboard.press("Escape")
    assert page.locator(".mlw-panel").is_hidden()
    assert "mlw-launcher" in page.evaluate("document.activeElement.className")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "mlw-input"
    shot(page, "08-keyboard")


def test_usable_at_360px_without_horizontal_scroll(browser, site):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, reduced_motion="reduce", is_mobile=True
    )
    page = context.new_page()
    try:
        page.goto(site)
        message_id = send(page, "what is PTSD? " + "averyveryverylongunbrokenword" * 6)
        replies(page, message_id)
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.querySelector('.mlw-log').scrollWidth, document.querySelector('.mlw-log').clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        assert widths[2] <= widths[3], widths
        for locator in (
            page.get_by_role("textbox", name="Message"),
            page.get_by_role("button", name="Send", exact=True),
            page.locator(".mlw-notice").first,
        ):
            box = locator.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        shot(page, "09-360px")
    finally:
        context.close()


def _tracker_user_texts(stack, sender: str) -> list[str]:
    response = httpx.get(
        f"{stack.settings.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.settings.rasa_auth_token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [e.get("text") for e in response.json()["events"] if e.get("event") == "user"]


def _sender(context) -> str:
    from bot.web.widget import identity

    cookie = next(c for c in context.cookies() if c["name"] == identity.COOKIE_NAME)
    return "web:" + cookie["value"].split(".")[1]


def test_dropped_connection_loses_and_duplicates_nothing(page, stack):
    context = page.context
    # 1. Offline when sending: the widget says so, keeps retrying, delivers once.
    context.set_offline(True)
    text = "what are SSRIs?"
    message_id = send(page, text)
    page.get_by_text(re.compile("Offline — retrying")).first.wait_for(timeout=10_000)
    shot(page, "10-offline")
    page.wait_for_timeout(1500)
    context.set_offline(False)
    got = replies(page, message_id)
    assert got
    # 2. The answer is lost on the way back (the server did the work): the retry with
    #    the same id gets the stored replies and Rasa never sees the message twice.
    lost = {"count": 0}

    def drop_first_response(route):
        if route.request.method == "POST" and lost["count"] == 0:
            lost["count"] += 1
            route.fetch()  # reaches the server, which answers ...
            route.abort("connectionreset")  # ... but the browser never hears it
        else:
            route.continue_()

    page.route("**/api/chat/messages", drop_first_response)
    second_text = "does EMDR help with nightmares?"
    second_id = send(page, second_text)
    second = replies(page, second_id)
    page.unroute("**/api/chat/messages")
    assert lost["count"] == 1 and second
    for message, answers in ((message_id, got), (second_id, second)):
        assert page.locator(f'.mlw-msg--user[data-id="{message}"]').count() == 1
        shown = page.locator(
            f'.mlw-msg--bot[data-reply-to="{message}"] .mlw-text'
        ).all_inner_texts()
        assert [t.strip() for t in shown] == answers
    sender = _sender(context)
    user_texts = _tracker_user_texts(stack, sender)
    assert user_texts.count(text) == 1
    assert user_texts.count(second_text) == 1
    # 3. And the stored history agrees after a reload.
    page.reload()
    page.locator(f'.mlw-msg--bot[data-reply-to="{second_id}"]').first.wait_for()
    assert log_text(page).count(text) == 1
    assert log_text(page).count(second_text) == 1
    shot(page, "11-after-reconnect")
