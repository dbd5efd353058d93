"""A durable local queue in front of the database.

``publish`` writes each record here first (one encrypted line, fsync'd) and returns;
a background thread moves whole segments into the database and deletes them. If the
database is away, segments wait here, and any process that starts later drains the
ones their writer left behind.

Layout: ``<dir>/<time_ns>-<pid>-<random>.spool``, one base64 line per record,
AES-GCM with a key derived from the master key (the text is health data, even
here). The process that owns a segment holds an exclusive ``flock`` on it while it
writes or drains it, so another process only claims segments nobody holds. Unreadable
segments are moved to ``<dir>/quarantine/`` and reported, never deleted.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.audit import crypto

__all__ = ["Spool", "Segment", "count_backlog", "SUFFIX"]

logger = logging.getLogger(__name__)

SUFFIX = ".spool"
_AAD = b"bot.audit spool v1"


@dataclass
class Segment:
    path: Path
    fd: int
    count: int = 0
    created: float = field(default_factory=time.time)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 16), b""))
    except FileNotFoundError:
        return 0


def count_backlog(directory: Path) -> tuple[int, int]:
    """(records waiting, quarantined segments) in a spool directory, from any process."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0, 0
    waiting = sum(_count_lines(p) for p in directory.glob("*" + SUFFIX))
    quarantine = directory / "quarantine"
    quarantined = len(list(quarantine.glob("*"))) if quarantine.is_dir() else 0
    return waiting, quarantined


class Spool:
    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = Path(directory)
        self._key = key
        self._lock = threading.Lock()
        self._current: Segment | None = None

    # -- writing (request path) -----------------------------------------------------

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._lock:
            if self._current is None:
                self._current = self._new_segment()

    def _new_segment(self) -> Segment:
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _fsync_dir(self.directory)  # the file's name survives a crash too
        return Segment(path=path, fd=fd)

    def append(self, record: dict[str, Any]) -> None:
        self.append_many([record])

    def append_many(self, records: list[dict[str, Any]]) -> None:
        """Append records with one write and one fsync (a turn's user message and
        replies arrive together: one disk flush for all of them instead of one each)."""
        if not records:
            return
        lines = b"".join(
            base64.b64encode(
                crypto.encrypt(
                    self._key,
                    json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
                    aad=_AAD,
                )
            )
            + b"\n"
            for r in records
        )
        with self._lock:
            if self._current is None:
                raise RuntimeError("spool is closed")
            seg = self._current
            # One write() on an O_APPEND descriptor: lines are never interleaved, and
            # fsync before returning means acknowledged records survive a crash.
            written = os.write(seg.fd, lines)
            if written != len(lines):
                raise OSError(f"short write to audit spool ({written} of {len(lines)} bytes)")
            os.fsync(seg.fd)
            seg.count += len(records)

    def current_count(self) -> int:
        with self._lock:
            return self._current.count if self._current else 0

    def rotate(self) -> Segment | None:
        """Close the current segment for draining (if it holds anything); start a new one."""
        with self._lock:
            seg = self._current
            if seg is None or seg.count == 0:
                return None
            self._current = self._new_segment()
            return seg

    # -- draining (background) --------------------------------------------------------

    def claim_leftovers(self, exclude: set[Path] = frozenset()) -> list[Segment]:  # type: ignore[assignment]
        """Segments left by processes that are gone (nobody holds their lock)."""
        if not self.directory.is_dir():
            return []
        mine = {self._current.path} if self._current else set()
        claimed = []
        for path in sorted(self.directory.glob("*" + SUFFIX)):
            if path in mine or path in exclude:
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)  # a live process owns it
                continue
            if os.fstat(fd).st_nlink == 0:  # drained and deleted while we waited
                os.close(fd)
                continue
            claimed.append(Segment(path=path, fd=fd, count=_count_lines(path)))
        return claimed

    def read(self, seg: Segment) -> tuple[list[dict[str, Any]], int, bool]:
        """(records, unreadable lines, torn tail) of a segment."""
        with open(seg.path, "rb") as fh:
            data = fh.read()
        lines = data.split(b"\n")
        torn = bool(lines and lines[-1])  # a crash mid-write: never acknowledged
        records, bad = [], 0
        for line in lines[:-1]:
            if not line:
                continue
            try:
                blob = base64.b64decode(line, validate=True)
                records.append(json.loads(crypto.decrypt(self._key, blob, aad=_AAD)))
            except Exception:  # noqa: BLE001 - wrong key, bit rot: keep the file, report it
                bad += 1
        return records, bad, torn

    def remove(self, seg: Segment) -> None:
        with contextlib.suppress(FileNotFoundError):
            seg.path.unlink()
        os.close(seg.fd)

    def quarantine(self, seg: Segment) -> Path:
        target_dir = self.directory / "quarantine"
        target_dir.mkdir(exist_ok=True, mode=0o700)
        target = target_dir / seg.path.name
        os.replace(seg.path, target)
        os.close(seg.fd)
        logger.error(
            "audit: spool segment %s could not be read; moved to %s", seg.path.name, target_dir
        )
        return target

    def keep_rejected(self, records: list[dict[str, Any]]) -> Path:
        """Records the database refused: kept (encrypted) in quarantine for a person to look at."""
        target_dir = self.directory / "quarantine"
        target_dir.mkdir(exist_ok=True, mode=0o700)
        target = target_dir / f"rejected-{time.time_ns():020d}-{os.getpid()}{SUFFIX}"
        with open(target, "ab") as fh:
            for record in records:
                plain = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode(
                    "utf-8"
                )
                fh.write(base64.b64encode(crypto.encrypt(self._key, plain, aad=_AAD)) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        return target

    def release(self, seg: Segment) -> None:
        """Give a segment back without draining it (shutdown)."""
        os.close(seg.fd)

    def close(self) -> None:
        with self._lock:
            seg, self._current = self._current, None
        if seg is None:
            return
        if seg.count == 0:
            with contextlib.suppress(FileNotFoundError):
                seg.path.unlink()
        os.close(seg.fd)
