"""The detectors' compiled regular expressions, kept on disk between processes.

Why: the rule files compile to about 3,400 regular expressions (1.4 million characters of
pattern text). Python's ``re`` spends about four seconds parsing and compiling them in every
process that screens: each Rasa server, action server, Telegram bridge and web app, and
every test that starts one. The compiled form (the byte code ``sre_compile`` hands to
``_sre.compile``) depends only on the pattern text, its flags and the Python build, so it is
stored once and rebuilt in about 30 ms.

How it stays safe:
* each entry is keyed by the exact pattern text and flags, so an edited rule simply misses
  and compiles the ordinary way; nothing can go stale;
* the file carries the Python version and ``_sre.MAGIC`` and a SHA-256 of its payload; a
  file from another Python, a truncated or altered file, or any error while reading it is
  ignored (``_sre.compile`` also validates the byte code it is given);
* any failure while rebuilding one pattern falls back to ``re.compile`` for that pattern;
* the file is written only by :func:`save` (called at the end of ``warm_up()``, after every
  rule regex has been compiled), atomically (temporary file, then rename), and holds exactly
  the patterns that process compiled, so it never grows with old rules. An unwritable
  directory only means the next process compiles again.

Where: ``$SAFETY_CACHE_DIR`` when set (``off`` or empty turns the cache off), else
``var/cache/`` in the checkout (git-ignored). It holds rule patterns only, never message text.
"""

from __future__ import annotations

import array
import hashlib
import logging
import marshal
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from safety._data import PACKAGE_DIR

__all__ = ["compile_rule", "save", "cache_path", "stats"]

FORMAT = 1
_FILE_NAME = "safety-regex.bin"
_log = logging.getLogger("safety")

# (pattern, flags) -> (final flags, code as uint32 bytes, groups, groupindex)
_Entry = tuple[int, bytes, int, dict[str, int]]
_loaded: dict[tuple[str, int], _Entry] | None = None
_compiled: dict[tuple[str, int], _Entry] = {}
_finished = False  # after save(), or with the cache off: plain re.compile, nothing kept
_stats = {"hits": 0, "misses": 0, "fallbacks": 0}


def cache_path() -> Path | None:
    configured = os.environ.get("SAFETY_CACHE_DIR")
    if configured is not None:
        if configured.strip().lower() in ("", "off", "0", "no", "false"):
            return None
        return Path(configured) / _FILE_NAME
    return PACKAGE_DIR.parent / "var" / "cache" / _FILE_NAME


def _header() -> bytes:
    import _sre

    return f"safety-regex-cache {FORMAT} {sys.version} {_sre.MAGIC} {_sre.CODESIZE}\n".encode()


def _read() -> dict[tuple[str, int], _Entry]:
    path = cache_path()
    if path is None:
        return {}
    try:
        blob = path.read_bytes()
        header, digest, payload = blob.split(b"\n", 2)
        if header + b"\n" != _header() or hashlib.sha256(payload).hexdigest().encode() != digest:
            return {}
        entries = marshal.loads(payload)
        return entries if isinstance(entries, dict) else {}
    except FileNotFoundError:
        return {}
    except Exception:  # a damaged cache must never stop the screen: compile instead
        _log.warning("safety: ignoring an unreadable regex cache at %s", path)
        return {}


def _from_entry(pattern: str, entry: _Entry) -> re.Pattern[str]:
    import _sre

    flags, code_bytes, groups, groupindex = entry
    code = array.array("I")
    code.frombytes(code_bytes)
    indexgroup: list[str | None] = [None] * (groups + 1)
    for name, index in groupindex.items():
        indexgroup[index] = name
    compiled: re.Pattern[str] = _sre.compile(
        pattern, flags, code.tolist(), groups, groupindex, tuple(indexgroup)
    )
    return compiled


def _compile_and_keep(pattern: str, flags: int) -> re.Pattern[str]:
    """What ``sre_compile.compile`` does, keeping the byte code it builds on the way."""
    import sre_compile
    import sre_parse

    parsed = sre_parse.parse(pattern, flags)
    code = sre_compile._code(parsed, flags)  # type: ignore[attr-defined]  # internal, 3.10
    entry: _Entry = (
        int(flags | parsed.state.flags),
        array.array("I", [int(op) for op in code]).tobytes(),
        parsed.state.groups - 1,
        dict(parsed.state.groupdict),
    )
    compiled = _from_entry(pattern, entry)
    _compiled[(pattern, flags)] = entry
    return compiled


def compile_rule(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the on-disk cache when it holds the pattern."""
    global _loaded, _finished
    if _loaded is None:
        _loaded = _read()
        _finished = _finished or cache_path() is None  # off: nothing to read, keep or write
    if _finished:
        return re.compile(pattern, flags)
    key = (pattern, int(flags))
    try:
        entry = _loaded.get(key)
        if entry is not None:
            compiled = _from_entry(pattern, entry)
            _compiled[key] = entry
            _stats["hits"] += 1
            return compiled
        _stats["misses"] += 1
        return _compile_and_keep(pattern, int(flags))
    except Exception:  # any surprise from the internals: the ordinary, slower way
        _stats["fallbacks"] += 1
        return re.compile(pattern, flags)


def save() -> None:
    """Write what this process compiled, if anything was new; then free both copies
    (about 10 MB each, which a running server does not need)."""
    global _loaded, _finished
    if _finished:
        return
    path = cache_path()
    changed = _stats["misses"] > 0 or (_loaded is not None and set(_loaded) != set(_compiled))
    payload = marshal.dumps(_compiled) if path is not None and _compiled and changed else b""
    _loaded, _finished = {}, True
    _compiled.clear()
    if not payload or path is None:
        return
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".regex-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(_header() + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        os.replace(temporary, path)
    except OSError as error:  # read-only checkout, full disk: the next process compiles again
        _log.info("safety: regex cache not written (%s)", type(error).__name__)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def stats() -> dict[str, Any]:
    """Hits, misses and fallbacks in this process (for the benchmark and the tests)."""
    return dict(_stats)
