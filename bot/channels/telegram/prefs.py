"""Per-chat language and region choices, kept in a small SQLite file under state_dir.

Only the choice itself is stored (chat id, language, country), never message text.
``/forget`` deletes the row. The file is created private to the user running the bridge.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from bot.channels.telegram.locales import ChatPrefs

__all__ = ["PrefsStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_prefs (
    chat_id    INTEGER PRIMARY KEY,
    lang       TEXT,
    country    TEXT,
    updated_at INTEGER NOT NULL
)
"""


class PrefsStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._cache: dict[int, ChatPrefs] = {}

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Create it 0600 before SQLite does (it would use the umask, often 0644).
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        # Small, fast statements from the event loop thread; the lock guards the rare
        # call from a worker thread.
        self._conn = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(_SCHEMA)
        self._conn.commit()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def get(self, chat_id: int) -> ChatPrefs:
        cached = self._cache.get(chat_id)
        if cached is not None:
            return cached
        with self._lock:
            row = self._db().execute(
                "SELECT lang, country FROM chat_prefs WHERE chat_id = ?", (chat_id,)
            ).fetchone()
        prefs = ChatPrefs(lang=row[0], country=row[1]) if row else ChatPrefs()
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[chat_id] = prefs
        return prefs

    def _save(self, chat_id: int, prefs: ChatPrefs) -> None:
        with self._lock:
            db = self._db()
            if prefs.lang is None and prefs.country is None:
                db.execute("DELETE FROM chat_prefs WHERE chat_id = ?", (chat_id,))
            else:
                db.execute(
                    "INSERT INTO chat_prefs (chat_id, lang, country, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(chat_id) DO UPDATE SET lang = excluded.lang, "
                    "country = excluded.country, updated_at = excluded.updated_at",
                    (chat_id, prefs.lang, prefs.country, int(time.time())),
                )
            db.commit()
        self._cache[chat_id] = prefs

    def set_language(self, chat_id: int, lang: str | None) -> ChatPrefs:
        prefs = ChatPrefs(lang=lang, country=self.get(chat_id).country)
        self._save(chat_id, prefs)
        return prefs

    def set_country(self, chat_id: int, country: str | None) -> ChatPrefs:
        prefs = ChatPrefs(lang=self.get(chat_id).lang, country=country)
        self._save(chat_id, prefs)
        return prefs

    def forget(self, chat_id: int) -> None:
        self._save(chat_id, ChatPrefs())
