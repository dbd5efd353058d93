"""``python -m safety screen`` / ``evaluate`` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], stdin: bytes = b"", timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "safety", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=timeout, check=False)


def lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def test_screen_jsonl_in_order() -> None:
    messages = [
        {"text": "what is EMDR?"},
        {"text": "I want to kill myself", "locale": "en-GB"},
        {"text": "хочу умереть", "locale": "ru"},
        {"text": "which bridge is tallest?", "history": ["I just lost my job, everything is pointless"]},
        {"text": "I took 30 tablets an hour ago", "locale": None},
    ]
    stdin = "\n".join(json.dumps(m, ensure_ascii=False) for m in messages).encode("utf-8")
    result = run(["screen"], stdin)
    assert result.returncode == 0, result.stderr
    out = lines(result)
    assert [o["level"] for o in out] == ["none", "crisis", "crisis", "crisis", "emergency"]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5]
    for o in out:
        assert {"level", "lang", "region", "helplines", "reasons"} <= set(o)
    assert out[2]["lang"] == "ru" and "ru_line" in out[2]["helplines"]
    assert out[4]["helplines"][0] == "uk_emergency"


def test_malformed_line_reported_and_processing_continues() -> None:
    stdin = b'{"text": "hello"}\nnot json\n{"text": 5}\n["a"]\n{"text": "I want to die"}\n'
    result = run(["screen"], stdin)
    assert result.returncode == 1
    out = lines(result)
    assert len(out) == 5
    assert out[0]["level"] == "none"
    assert out[1]["line"] == 2 and "error" in out[1]
    assert out[2]["line"] == 3 and "error" in out[2]
    assert out[3]["line"] == 4 and "error" in out[3]
    assert out[4]["level"] == "crisis"


def test_binary_input_does_not_crash() -> None:
    stdin = bytes(range(256)) * 40 + b"\n" + b'{"text": "I want to die"}\n' + b"\xff\xfe\x00\n"
    result = run(["screen"], stdin)
    assert result.returncode == 1
    out = lines(result)
    assert any(o.get("level") == "crisis" for o in out)
    assert all("error" in o or "level" in o for o in out)


def test_odd_unicode_and_huge_input() -> None:
    huge = "I am fine. " * 10000 + "I want to die"
    stdin = "\n".join([
        json.dumps({"text": "\ud800 lone surrogate and \u202e bidi"}),
        json.dumps({"text": huge}),
        json.dumps({"text": "ｋｉｌｌ ｍｙｓｅｌｆ"}),
    ]).encode("utf-8")
    result = run(["screen"], stdin)
    assert result.returncode == 0, result.stderr
    out = lines(result)
    assert [o["level"] for o in out] == ["none", "crisis", "crisis"]


def test_empty_input_and_blank_lines() -> None:
    result = run(["screen"], b"\n\n   \n")
    assert result.returncode == 0 and result.stdout == b""


def test_reply_flag() -> None:
    result = run(["screen", "--reply"], b'{"text": "I want to die", "locale": "en-GB"}\n')
    assert "116 123" in lines(result)[0]["reply"]  # type: ignore[operator]


def test_evaluate_dev_only(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(["evaluate", "--no-shared", "--json-out", str(out)], timeout=300)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("utf-8")
    assert "crisis recall" in text and "dev.jsonl" in text and "holdout" not in text
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["cases"]["dev"]["overall"]["n"] > 100


def test_evaluate_skips_missing_shared_data(tmp_path: Path) -> None:
    result = run(["evaluate", "--no-cases", "--data-dir", str(tmp_path / "absent")])
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stdout.decode("utf-8")
