"""In Debian's Chromium: sign in, filter to crisis, open a transcript, mark it reviewed, export."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOTS = PROJECT_ROOT / "var" / "screenshots" / "audit"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"Debian Chromium not installed at {CHROMIUM}"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_clinician_in_a_browser(h, sqlite_settings, tmp_path: Path):
    from aiohttp import web
    from playwright.async_api import async_playwright

    from bot.audit.web import setup

    h.feed(sqlite_settings)
    store = h.open_test_store(sqlite_settings)
    from bot.audit import users

    users.add_user(store, "clara", "clinician password 1", "clinician", actor="test", source="test")
    store.close()

    app = web.Application()
    setup(app, sqlite_settings)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            context = await browser.new_context(accept_downloads=True)
            page = await context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            await page.goto(f"{base}/audit/")
            assert "/audit/login" in page.url
            assert "хочу" not in await page.content()
            await page.fill("input[name=username]", "clara")
            await page.fill("input[name=password]", "clinician password 1")
            await page.screenshot(path=str(SHOTS / "1-sign-in.png"))
            await page.click("button[type=submit]")
            await page.wait_for_url("**/audit/conversations")

            await page.select_option("select[name=level]", "crisis")
            await page.click("form.filters button[type=submit]")
            await page.wait_for_url("**level=crisis**")
            assert "2 conversation(s)" in await page.inner_text("main")
            await page.screenshot(path=str(SHOTS / "2-filtered-crisis.png"), full_page=True)

            await page.click("tr:has-text('web:bob22') >> text=Open")
            await page.wait_for_selector("ol.timeline")
            assert await page.locator(".msg.user .badge.level-crisis").count() == 1
            assert "suicidal_intent" in await page.inner_text("ol.timeline")
            await page.screenshot(path=str(SHOTS / "3-transcript.png"), full_page=True)

            await page.fill(
                "form[action$='/status'] textarea[name=note]", "crisis reply appropriate"
            )
            await page.click("button[name=to][value=reviewed]")
            await page.wait_for_url("**done=reviewed")
            assert "Marked reviewed." in await page.inner_text("main")
            assert await page.locator(".badge.status-reviewed").count() == 1
            await page.screenshot(path=str(SHOTS / "4-reviewed.png"), full_page=True)

            await page.goto(f"{base}/audit/conversations?level=crisis")
            async with page.expect_download() as info:
                await page.click("text=JSONL")
            download = await info.value
            target = tmp_path / "export.jsonl"
            await download.save_as(str(target))
            rows = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
            assert {r["sender"] for r in rows} == {"web:bob22", "telegram:100200300"}
            assert any(r["level"] == "crisis" and r["role"] == "user" for r in rows)
            assert not any("bob@example.com" in (r["text"] or "") for r in rows)

            await page.goto(f"{base}/audit/safety")
            assert await page.locator("svg.chart rect").count() >= 2
            await page.screenshot(path=str(SHOTS / "5-safety-register.png"), full_page=True)
            assert not [e for e in errors if "Content Security Policy" in e], errors
            await browser.close()
    finally:
        await runner.cleanup()
