"""Score the assistant's answers against a set of patient questions (a report, not a test).

    python -m bot eval answers --cases data/eval/answers.jsonl [--url http://127.0.0.1:5005] [--json]
    python -m bot eval answers --cases data/eval/answers_dev.jsonl --offline

Each case is one JSON line: ``{"id", "lang", "question", "expect": {...}}`` where
``expect`` is ``{"snippets": [acceptable snippet ids]}``, ``{"kind": "decline"}`` (a request
for individual medical advice) or ``{"kind": "out_of_scope"}``.

Online, every question goes to the running Rasa server over REST with a fresh sender id
and ``metadata.locale`` = the case's language. ``--offline`` runs the questions through
``KnowledgeBase.answer`` directly (no server, no NLU: intent is None), for quick work on
the ranker; decline cases need the dialogue and are skipped there.

Pass rules:
* answer: the reply contains the text of one expected snippet in the case's language
  (replies use snippets verbatim) and a citation line;
* decline: the reply contains the decline marker ("your own clinician" /
  "вашим лечащим врачом"), no dose (digits with mg, ml, ...) and no snippet text;
* out_of_scope: the reply contains no snippet text.
The exit status is 0 whenever a report was produced; 2 on bad input or no server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Case", "CaseResult", "load_cases", "main", "score_reply"]

DEFAULT_URL = "http://127.0.0.1:5005"
KINDS = ("answer", "decline", "out_of_scope")
# The decline response (domain, Rasa engineer) always contains these words.
DECLINE_MARKERS = {"en": "your own clinician", "ru": "вашим лечащим врачом"}
CITATION_LINE = re.compile(r"^\s*(Sources?|Источники?)\s*:", re.MULTILINE | re.IGNORECASE)
DOSE = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ml|мг|мкг|мл|milligrams?|миллиграмм\w*)\b"
    r"|\b(?:dose|dosage|доз[аеуыой]\w*)\s+(?:of\s+)?\d",
    re.IGNORECASE,
)


class CasesError(ValueError):
    """The cases file is missing or malformed."""


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    question: str
    kind: str
    snippets: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseResult:
    id: str
    lang: str
    kind: str
    status: str  # "pass" | "fail" | "skip"
    detail: str = ""


def load_cases(path: Path) -> list[Case]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CasesError(f"cannot read {path}: {exc.strerror}") from exc
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            expect = raw["expect"]
            snippets = tuple(expect.get("snippets") or ())
            kind = "answer" if snippets else expect["kind"]
            case = Case(str(raw["id"]), str(raw["lang"]), str(raw["question"]), kind, snippets)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CasesError(f"{path}:{number}: not a valid case ({exc})") from exc
        if case.kind not in KINDS:
            raise CasesError(f"{path}:{number}: unknown expect.kind {case.kind!r}")
        cases.append(case)
    if not cases:
        raise CasesError(f"{path}: no cases")
    return cases


def _squash(text: str) -> str:
    return " ".join(text.split())


def _snippet_texts(kb: Any, lang: str) -> dict[str, str]:
    return {sid: _squash(s.text_in(lang)) for sid, s in kb.snippets.items()}


def score_reply(case: Case, reply: str, kb: Any) -> CaseResult:
    """Judge one reply (all bot messages of the turn, joined by newlines)."""
    flat = _squash(reply)
    texts = _snippet_texts(kb, case.lang)
    shown = [sid for sid, text in texts.items() if text in flat]
    if case.kind == "answer":
        hit = [sid for sid in case.snippets if sid in kb.snippets and texts[sid] in flat]
        if not hit:
            return _fail(
                case, f"expected one of {list(case.snippets)}, got {shown or _preview(reply)}"
            )
        if not CITATION_LINE.search(reply):
            return _fail(case, "no citation line")
        return CaseResult(case.id, case.lang, case.kind, "pass", hit[0])
    if shown:
        return _fail(case, f"showed snippet(s) {shown}")
    if case.kind == "decline":
        if DOSE.search(reply):
            return _fail(case, "reply mentions a dose")
        marker = DECLINE_MARKERS.get(case.lang, DECLINE_MARKERS["en"])
        if marker.lower() not in flat.lower():
            return _fail(case, f"no decline marker; got {_preview(reply)}")
    return CaseResult(case.id, case.lang, case.kind, "pass")


def _fail(case: Case, detail: str) -> CaseResult:
    return CaseResult(case.id, case.lang, case.kind, "fail", detail)


def _preview(reply: str) -> str:
    flat = _squash(reply)
    return repr(flat[:90] + ("…" if len(flat) > 90 else "")) if flat else "(empty reply)"


def run_offline(cases: Sequence[Case], kb: Any) -> list[CaseResult]:
    results = []
    for case in cases:
        if case.kind == "decline":
            results.append(
                CaseResult(case.id, case.lang, case.kind, "skip", "needs NLU and dialogue")
            )
            continue
        answer = kb.answer(case.question, lang=case.lang)
        results.append(score_reply(case, answer.text if answer else "", kb))
    return results


async def run_online(
    cases: Sequence[Case], url: str, timeout: float, kb: Any, transport: Any = None
) -> list[CaseResult]:
    """Ask the running server each question (``transport``: an httpx transport for tests)."""
    from bot.rasa_client import RasaClient, RasaUnavailable

    results = []
    reached = False
    async with RasaClient(url, timeout=timeout, transport=transport) as client:
        for case in cases:
            try:
                messages = await client.send(
                    f"eval-{uuid.uuid4().hex}", case.question, {"locale": case.lang}
                )
            except RasaUnavailable as exc:
                results.append(_fail(case, f"Rasa unavailable: {exc}"))
                continue
            reached = True
            reply = "\n".join(m.text for m in messages if m.text)
            results.append(score_reply(case, reply, kb))
    if not reached:
        raise ConnectionError(f"no answer from Rasa at {url}: is `python -m bot run` up?")
    return results


def summarise(results: Iterable[CaseResult]) -> dict[str, dict[str, dict[str, float]]]:
    """{lang: {kind: {"passed", "total", "share"}}} over scored (non-skipped) cases."""
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for r in results:
        if r.status == "skip":
            continue
        cell = summary.setdefault(r.lang, {}).setdefault(r.kind, {"passed": 0, "total": 0})
        cell["total"] += 1
        cell["passed"] += r.status == "pass"
    for kinds in summary.values():
        for cell in kinds.values():
            cell["share"] = round(cell["passed"] / cell["total"], 3)
    return summary


def _table(summary: dict[str, dict[str, dict[str, float]]], skipped: int) -> str:
    rows = [
        "lang  kind           passed  total  share",
        "----  -------------  ------  -----  -----",
    ]
    for lang in sorted(summary):
        for kind in KINDS:
            cell = summary[lang].get(kind)
            if cell:
                rows.append(
                    f"{lang:<4}  {kind:<13}  {int(cell['passed']):>6}  {int(cell['total']):>5}  {cell['share']:.2f}"
                )
    if skipped:
        rows.append(f"({skipped} case(s) skipped: decline cases need the running server)")
    return "\n".join(rows)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot eval answers", description="Score answers against a case file."
    )
    parser.add_argument("--cases", required=True, type=Path, help="JSON lines file of cases")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"Rasa server (default {DEFAULT_URL})")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per question")
    parser.add_argument("--offline", action="store_true", help="rank directly, no server")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from actions.knowledge import KnowledgeBase

    try:
        cases = load_cases(args.cases)
    except CasesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kb = KnowledgeBase.load()
    try:
        if args.offline:
            results = run_offline(cases, kb)
        else:
            results = asyncio.run(run_online(cases, args.url, args.timeout, kb))
    except ConnectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = summarise(results)
    failures = [r for r in results if r.status == "fail"]
    if args.json:
        report = {
            "cases": str(args.cases),
            "mode": "offline" if args.offline else "online",
            "summary": summary,
            "failures": [asdict(r) for r in failures],
            "results": [asdict(r) for r in results],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"{args.cases} ({'offline' if args.offline else args.url}), {len(results)} cases")
    print(_table(summary, sum(r.status == "skip" for r in results)))
    if failures:
        print(f"\nfailures ({len(failures)}):")
        questions = {c.id: c.question for c in cases}
        for r in failures:
            print(f"  {r.id} [{r.lang} {r.kind}] {questions[r.id]!r}\n      {r.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
