"""Memory of processes and the state of the machine, for benchmark reports."""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import psutil


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS (MB) of a process and all its children.

    RSS counts shared pages (Python, TensorFlow's libraries) once per process, so a sum
    of RSS over processes over-states the total; PSS splits each shared page between the
    processes that map it, so PSS adds up. Both are reported.
    """
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {"rss_mb": 0.0, "pss_mb": 0.0, "processes": 0}
    rss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return {"rss_mb": rss / 2**20, "pss_mb": pss / 2**20, "processes": len(processes)}


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def wait_for_quiet(max_load: float, max_wait_seconds: float) -> list[float]:
    """Wait (up to ``max_wait_seconds``) until the 1-minute load average is below
    ``max_load``; return the load average when measuring starts either way."""
    deadline = time.monotonic() + max_wait_seconds
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(15)
    return load_average()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its children."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def revision() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it (the screen
    and the training data change often; a figure belongs to a tree)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = git("status", "--porcelain", "--untracked-files=no").splitlines()
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "uncommitted_changes_in": sorted({line[3:].split("/")[0] for line in changed if len(line) > 3}),
    }
