"""The bridge's own fail-safe, end to end: Rasa down, slow, broken or silent.

Real ``python -m bot telegram`` process, real python-telegram-bot client, fake Bot API
on loopback; Rasa is a closed port or a scripted fake. What the user gets is checked
against the safety library's own texts (no number is written in these tests twice).
"""

from __future__ import annotations

import pytest

import safety

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

RU_CRISIS = "я больше не хочу жить"
EN_CRISIS = "I want to kill myself"


def _closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_rasa_down_crisis_gets_helplines_and_question_gets_unavailable(fake_api, launch):
    bridge = launch(_closed_port_url())
    fake_api.push_text(101, RU_CRISIS, language_code="ru")
    fake_api.push_text(102, EN_CRISIS, language_code="en-GB")
    fake_api.push_text(103, "how fast does ketamine work?", language_code="en")

    ru = fake_api.wait_sent(101)
    expected_ru = safety.compose_reply(safety.screen(RU_CRISIS, locale="ru"))
    assert ru[0] == expected_ru
    assert "8-800-2000-122" in ru[0]

    en = fake_api.wait_sent(102)
    assert en[0] == safety.compose_reply(safety.screen(EN_CRISIS, locale="en-GB"))
    assert "999" in en[0]

    question = fake_api.wait_sent(103)
    where = safety.resolve_locale("en", default_region="UK")
    assert question[0] == safety.compose_unavailable(where.lang, where.region)

    log = bridge.log()
    for text in (RU_CRISIS, EN_CRISIS, "ketamine"):
        assert text not in log  # message text never in the log
    assert "fail-safe" in log


def test_rasa_timeout_gets_the_failsafe_within_the_deadline(fake_api, launch, start_fake_rasa):
    slow = start_fake_rasa(lambda body: (200, [{"recipient_id": "x", "text": "too late"}], 30))
    launch(slow.url, RASA_TIMEOUT_SECONDS="1.5")
    fake_api.push_text(104, EN_CRISIS, language_code="en-GB")
    texts = fake_api.wait_sent(104, timeout=10)
    assert texts[0] == safety.compose_reply(safety.screen(EN_CRISIS, locale="en-GB"))
    assert "too late" not in texts


def test_rasa_error_status_gets_the_failsafe(fake_api, launch, start_fake_rasa):
    broken = start_fake_rasa(lambda body: (500, {"error": "boom"}, 0))
    launch(broken.url)
    fake_api.push_text(105, "what is EMDR?", language_code="ru")
    texts = fake_api.wait_sent(105)
    where = safety.resolve_locale("ru", text="what is EMDR?")
    assert texts[0] == safety.compose_unavailable(where.lang, where.region)


def test_empty_rasa_answer_is_never_silence(fake_api, launch, start_fake_rasa):
    silent = start_fake_rasa(lambda body: (200, [], 0))
    launch(silent.url)
    fake_api.push_text(106, "hmm", language_code="en")
    fake_api.push_text(107, EN_CRISIS, language_code="en-GB")
    assert "rephrase" in fake_api.wait_sent(106)[0]
    assert fake_api.wait_sent(107)[0] == safety.compose_reply(
        safety.screen(EN_CRISIS, locale="en-GB")
    )


def test_flood_control_and_a_server_error_do_not_lose_the_helplines(fake_api, launch):
    launch(_closed_port_url())
    fake_api.fail_next["sendMessage"] = [
        (429, "Too Many Requests: retry after 1", {"retry_after": 1}),
        (502, "Bad Gateway", {}),
    ]
    fake_api.push_text(108, EN_CRISIS, language_code="en-GB")
    texts = fake_api.wait_sent(108, 3, timeout=20)  # two failed attempts, then delivered
    assert texts[-1] == safety.compose_reply(safety.screen(EN_CRISIS, locale="en-GB"))
    attempts = fake_api.calls_of("sendMessage")
    assert attempts[1].at - attempts[0].at >= 0.9  # waited as Telegram asked


def test_fail_safe_turns_reach_the_audit_record(fake_api, launch, tmp_path, monkeypatch, capsys):
    """Rasa's event broker never sees these turns: the bridge records them itself."""
    import json
    import time

    from bot.audit import cli as audit_cli

    launch(_closed_port_url())
    fake_api.push_text(108, EN_CRISIS, language_code="en-GB")
    sent = fake_api.wait_sent(108)
    state = tmp_path / "state"
    monkeypatch.setenv("AUDIT_DB_URL", f"sqlite:///{state / 'audit.db'}")
    monkeypatch.setenv("BOT_STATE_DIR", str(state))
    rows: list[dict] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        capsys.readouterr()
        if audit_cli.main(["export", "--format", "jsonl", "--unredacted"]) == 0:
            rows = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]
            if any(r["role"] == "bot" for r in rows):
                break
        time.sleep(0.5)
    users = [r for r in rows if r["role"] == "user"]
    assert [(u["sender"], u["text"], u["level"], u["channel"]) for u in users] == [
        ("telegram:108", EN_CRISIS, "crisis", "telegram")
    ]
    assert [r["text"] for r in rows if r["role"] == "bot"] == sent
