"""The on-disk cache of compiled rule regexes (safety/regex_cache.py).

Each test runs the cache in a fresh subprocess with its own SAFETY_CACHE_DIR, because the
module keeps per-process state and the point is what a second process sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Verdicts for a spread of messages (crisis, emergency, support, hard negatives, Russian,
# transliterated) plus the cache's counters, printed as JSON.
_PROBE = r"""
import json, safety, safety.regex_cache as rc
safety.warm_up()
texts = ["I want to die", "I took all my pills an hour ago", "which bridges are taller than 25 metres",
         "this traffic is killing me", "не хочу больше жить", "ne hochu zhit", "я чуть не умер со смеху",
         "my husband said he will kill me tonight", "how does ketamine work for PTSD?"]
levels = [safety.screen(t).level.value for t in texts]
print(json.dumps({"levels": levels, "stats": rc.stats()}))
"""


def _run(cache_dir: str, code: str = _PROBE) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "SAFETY_CACHE_DIR": cache_dir, "HOME": str(REPO)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def first_and_second(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path]:
    directory = tmp_path_factory.mktemp("regex-cache")
    first = _run(str(directory))
    second = _run(str(directory))
    return first, second, directory


def test_first_process_compiles_and_writes_the_cache(first_and_second) -> None:
    first, _, directory = first_and_second
    assert first["stats"]["hits"] == 0
    assert first["stats"]["misses"] > 1000  # every rule regex was compiled here
    assert (directory / "safety-regex.bin").stat().st_size > 0


def test_second_process_rebuilds_every_rule_from_the_cache(first_and_second) -> None:
    first, second, _ = first_and_second
    assert second["stats"]["misses"] == 0
    assert second["stats"]["fallbacks"] == 0
    assert second["stats"]["hits"] == first["stats"]["misses"]


def test_cached_and_compiled_rules_give_the_same_verdicts(first_and_second, tmp_path) -> None:
    first, second, _ = first_and_second
    uncached = _run("off")
    assert uncached["stats"] == {"hits": 0, "misses": 0, "fallbacks": 0}
    assert first["levels"] == second["levels"] == uncached["levels"]
    assert "crisis" in uncached["levels"] and "none" in uncached["levels"]


def test_a_damaged_cache_is_ignored_and_rewritten(first_and_second, tmp_path) -> None:
    _, _, good = first_and_second
    blob = (good / "safety-regex.bin").read_bytes()
    damaged = bytearray(blob)
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte: the digest no longer matches
    (tmp_path / "safety-regex.bin").write_bytes(bytes(damaged))
    result = _run(str(tmp_path))
    assert result["stats"]["hits"] == 0 and result["stats"]["misses"] > 1000
    assert (tmp_path / "safety-regex.bin").read_bytes() != bytes(damaged)  # rewritten
    again = _run(str(tmp_path))
    assert again["stats"]["misses"] == 0 and again["stats"]["hits"] == result["stats"]["misses"]
    assert again["levels"] == result["levels"]


def test_every_rebuilt_regex_equals_a_fresh_compile(first_and_second) -> None:
    """Pattern for pattern: flags, groups, group names and matches on sample text agree."""
    _, _, directory = first_and_second
    code = r"""
import json, re, safety.regex_cache as rc
entries = rc._read()
assert entries, "no cache read"
samples = ["i want to die", "хочу умереть", "took 30 pills", "kill my self", "jump off the bridge"]
bad = 0
for (pattern, flags), _ in entries.items():
    cached, fresh = rc._from_entry(pattern, entries[(pattern, flags)]), re.compile(pattern, flags)
    same = (cached.flags, cached.groups, dict(cached.groupindex)) == (fresh.flags, fresh.groups, dict(fresh.groupindex))
    same = same and all(
        [m.span() for m in cached.finditer(s)] == [m.span() for m in fresh.finditer(s)] for s in samples)
    bad += not same
print(json.dumps({"n": len(entries), "bad": bad}))
"""
    result = _run(str(directory), code)
    assert result["n"] > 1000
    assert result["bad"] == 0


def test_an_unwritable_cache_directory_only_costs_time(tmp_path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("not a directory")
    result = _run(str(blocked))
    assert result["stats"]["misses"] > 1000
    assert "crisis" in result["levels"]
