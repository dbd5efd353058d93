"""Command line: ``python -m safety screen`` and ``python -m safety evaluate``.

``screen`` reads JSON lines ``{"text": ..., "locale": ..., "history": [...]}`` on stdin and
writes one JSON verdict per input line on stdout, in order. A line that is not valid
UTF-8 JSON of that shape gets ``{"line": n, "error": "..."}`` instead and processing
goes on; the exit code is 1 if any line was malformed, else 0. Blank lines are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import IO, Any

from safety.compose import compose_reply, compose_signpost
from safety.pipeline import screen
from safety.verdict import Level

__all__ = ["main", "screen_stream", "MAX_LINE_BYTES"]

MAX_LINE_BYTES = 10 * 1024 * 1024  # a bigger line is reported as an error, not screened


class _Malformed(ValueError):
    pass


def _parse(raw: bytes) -> tuple[str, str | None, list[str]]:
    if len(raw) > MAX_LINE_BYTES:
        raise _Malformed(f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Malformed(f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _Malformed(f"not valid JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(data, dict):
        raise _Malformed("expected a JSON object")
    text = data.get("text")
    if not isinstance(text, str):
        raise _Malformed('"text" must be a string')
    locale = data.get("locale")
    if locale is not None and not isinstance(locale, str):
        raise _Malformed('"locale" must be a string or null')
    history = data.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise _Malformed('"history" must be a list of strings')
    return text, locale, history


def _dump(obj: dict[str, Any]) -> str:
    try:
        out = json.dumps(obj, ensure_ascii=False)
        out.encode("utf-8")
        return out
    except UnicodeEncodeError:  # lone surrogates in the input: escape them
        return json.dumps(obj, ensure_ascii=True)


def screen_stream(
    source: IO[bytes], sink: IO[str], default_region: str | None = None, with_reply: bool = False
) -> int:
    """Screen every line of ``source``; return the number of malformed lines."""
    malformed = 0
    for number, raw in enumerate(source, start=1):
        if not raw.strip():
            continue
        try:
            text, locale, history = _parse(raw.rstrip(b"\r\n"))
        except _Malformed as exc:
            malformed += 1
            sink.write(_dump({"line": number, "error": str(exc)}) + "\n")
            sink.flush()
            continue
        verdict = screen(text, locale=locale, history=history, default_region=default_region)
        result: dict[str, Any] = {"line": number, **verdict.to_dict()}
        if with_reply:
            if verdict.level.at_least(Level.CRISIS):
                result["reply"] = compose_reply(verdict)
            elif verdict.level == Level.SUPPORT:
                result["signpost"] = compose_signpost(verdict)
        sink.write(_dump(result) + "\n")
        sink.flush()
    return malformed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m safety", description="The crisis screen.")
    commands = parser.add_subparsers(dest="command", required=True)
    screen_cmd = commands.add_parser("screen", help="screen JSON lines from stdin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    screen_cmd.add_argument("--default-region", default=None, help='"UK", "EU", "other" or a country code')
    screen_cmd.add_argument("--reply", action="store_true", help="add the composed reply / signpost")
    commands.add_parser("evaluate", help="recall and false alarms (see --help)", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "evaluate":
        from safety.evaluation.evaluate import main as evaluate_main

        return evaluate_main(args_list[1:])
    args = _parser().parse_args(args_list)
    if args.command == "screen":
        sink = sys.stdout
        if hasattr(sink, "reconfigure"):
            sink.reconfigure(encoding="utf-8", errors="backslashreplace")
        malformed = screen_stream(sys.stdin.buffer, sink, args.default_region, args.reply)
        return 1 if malformed else 0
    return 2  # pragma: no cover - argparse rejects unknown commands
