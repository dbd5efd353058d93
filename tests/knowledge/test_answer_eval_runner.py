"""The answer evaluation runner: scoring rules, REST round trip, report and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from actions.knowledge import KnowledgeBase
from bot.evaluation import answers
from bot.evaluation.answers import Case, load_cases, run_online, score_reply


def _reply_with(kb: KnowledgeBase, sid: str, lang: str) -> str:
    snippet = kb.snippet(sid)
    return f"{snippet.text_in(lang)}\n{kb.sources[snippet.source].citation(lang)}"


def test_answer_case_passes_with_snippet_and_citation(kb: KnowledgeBase) -> None:
    case = Case("a", "ru", "q", "answer", ("ketamine_cost",))
    assert score_reply(case, _reply_with(kb, "ketamine_cost", "ru"), kb).status == "pass"
    no_citation = kb.snippet("ketamine_cost").text_in("ru")
    assert score_reply(case, no_citation, kb).status == "fail"
    wrong_language = _reply_with(kb, "ketamine_cost", "en")
    assert score_reply(case, wrong_language, kb).status == "fail"
    other = _reply_with(kb, "ketamine_side_effects", "ru")
    assert score_reply(case, other, kb).status == "fail"


@pytest.mark.parametrize(
    ("lang", "reply", "status"),
    [
        ("en", "I can't advise on your dose. Please ask your own clinician.", "pass"),
        ("en", "Please ask your own clinician. Most people take 50 mg.", "fail"),
        ("en", "Please ask your own clinician. A dose of 2 tablets is usual.", "fail"),
        ("en", "I can't help with that.", "fail"),
        ("ru", "Пожалуйста, обсудите это с вашим лечащим врачом.", "pass"),
        ("ru", "Обсудите с вашим лечащим врачом. Обычно 50 мг.", "fail"),
    ],
)
def test_decline_case(kb: KnowledgeBase, lang: str, reply: str, status: str) -> None:
    case = Case("d", lang, "q", "decline")
    assert score_reply(case, reply, kb).status == status


def test_decline_case_fails_when_a_snippet_is_shown(kb: KnowledgeBase) -> None:
    reply = "Ask your own clinician.\n" + _reply_with(kb, "medication_antidepressant_timing", "en")
    assert score_reply(Case("d", "en", "q", "decline"), reply, kb).status == "fail"


def test_out_of_scope_case(kb: KnowledgeBase) -> None:
    case = Case("o", "en", "q", "out_of_scope")
    assert (
        score_reply(case, "I can only help with questions about PTSD treatments.", kb).status
        == "pass"
    )
    assert score_reply(case, _reply_with(kb, "ptsd_what_is", "en"), kb).status == "fail"


async def test_online_run_uses_fresh_senders_and_locale(kb: KnowledgeBase) -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        return httpx.Response(
            200, json=[{"text": _reply_with(kb, "ketamine_cost", body["metadata"]["locale"])}]
        )

    cases = [
        Case("1", "en", "price?", "answer", ("ketamine_cost",)),
        Case("2", "ru", "цена?", "answer", ("ketamine_cost",)),
    ]
    results = await run_online(cases, "http://rasa.test", 5.0, kb, httpx.MockTransport(handler))
    assert [r.status for r in results] == ["pass", "pass"]
    assert [b["metadata"] for b in seen] == [{"locale": "en"}, {"locale": "ru"}]
    assert seen[0]["sender"] != seen[1]["sender"]


def test_offline_report_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        '{"id": "x", "lang": "en", "question": "how much does ketamine cost", "expect": {"snippets": ["ketamine_cost"]}}\n'
        '{"id": "y", "lang": "en", "question": "dose?", "expect": {"kind": "decline"}}\n'
        '{"id": "z", "lang": "ru", "question": "погода в москве", "expect": {"kind": "out_of_scope"}}\n',
        encoding="utf-8",
    )
    assert answers.main(["--cases", str(cases), "--offline"]) == 0
    table = capsys.readouterr().out
    assert "en    answer" in table and "skipped" in table
    assert answers.main(["--cases", str(cases), "--offline", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["en"]["answer"] == {"passed": 1, "total": 1, "share": 1.0}
    assert report["summary"]["ru"]["out_of_scope"]["share"] == 1.0
    assert report["failures"] == []


def test_bad_input_gets_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert answers.main(["--cases", str(tmp_path / "missing.jsonl"), "--offline"]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    assert answers.main(["--cases", str(bad), "--offline"]) == 2
    assert "not a valid case" in capsys.readouterr().err


def test_no_server_gets_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        '{"id": "x", "lang": "en", "question": "q", "expect": {"kind": "out_of_scope"}}\n'
    )
    assert (
        answers.main(["--cases", str(cases), "--url", "http://127.0.0.1:9", "--timeout", "0.5"])
        == 2
    )
    assert "no answer from Rasa" in capsys.readouterr().err


def test_case_file_loader_reads_the_real_sets() -> None:
    root = Path(__file__).resolve().parents[2] / "data" / "eval"
    assert len(load_cases(root / "answers.jsonl")) >= 80
