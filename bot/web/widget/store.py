"""The widget's transcript store: one row per user message with the replies it got.

Why a store of our own and not Rasa's tracker: the widget must (1) show the history
after a reload without letting the browser keep message text, and (2) deliver each
message exactly once across reconnects. Both need the pair (conversation,
client_message_id) -> replies, which Rasa does not keep. This is a display copy with
its own retention; the clinical record is the audit log.

SQLAlchemy Core on its own database (SQLite file ``web.db`` under the state directory
by default, PostgreSQL by URL). The calls are synchronous and short; the web handlers
run them in a worker thread (:class:`bot.web.widget.bridge.ChatBridge`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bot.settings import Settings

__all__ = ["Reply", "Turn", "TranscriptStore", "db_url", "conversation_id_from_sender"]

_metadata = sa.MetaData()

conversations = sa.Table(
    "widget_conversations",
    _metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_active_at", sa.DateTime, nullable=False, index=True),
)

turns = sa.Table(
    "widget_turns",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id",
        sa.String(64),
        sa.ForeignKey("widget_conversations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("client_message_id", sa.String(64), nullable=False),
    sa.Column("user_text", sa.Text, nullable=False),
    # What the bubble shows when it differs from what was sent (a quick reply's title).
    sa.Column("display_text", sa.Text, nullable=True),
    sa.Column("locale", sa.String(40), nullable=True),
    sa.Column("replies", sa.Text, nullable=False),  # JSON list of {"text", "buttons"}
    # Where the replies came from: rasa | failsafe | too_long (for tests and clinicians).
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("conversation_id", "client_message_id", name="uq_widget_turn_cmid"),
)


def _now() -> datetime:
    # Naive UTC: the same on SQLite and PostgreSQL "timestamp without time zone".
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [dict(b) for b in self.buttons]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reply:
        buttons = tuple(
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in raw.get("buttons") or []
            if isinstance(b, dict)
        )
        return cls(text=str(raw.get("text") or ""), buttons=buttons)


@dataclass(frozen=True)
class Turn:
    client_message_id: str
    user_text: str
    display_text: str | None
    locale: str | None
    replies: tuple[Reply, ...]
    source: str
    created_at: datetime = field(default_factory=_now)

    @property
    def shown_text(self) -> str:
        return self.display_text or self.user_text

    def to_public(self) -> dict[str, Any]:
        """The shape the widget receives (no locale or source: it does not need them)."""
        return {
            "id": self.client_message_id,
            "user": self.shown_text,
            "replies": [r.to_dict() for r in self.replies],
            "at": self.created_at.replace(tzinfo=timezone.utc).isoformat(timespec="seconds"),
        }


def db_url(settings: Settings) -> str:
    """``settings.web_db_url``, or the default SQLite file under the state directory."""
    return settings.web_db_url or f"sqlite:///{settings.state_dir / 'web.db'}"


def conversation_id_from_sender(sender_id: str) -> str:
    """``web:<id>`` (the Rasa sender id) or a bare id -> the id."""
    return sender_id[4:] if sender_id.startswith("web:") else sender_id


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, future=True, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Message text is health data: create the file owner-only (SQLite's -wal/-shm copy it).
        with contextlib.suppress(FileExistsError):
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    engine = sa.create_engine(parsed, future=True, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")  # type: ignore[untyped-decorator]
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL: readers (history) do not wait for the writer (a new turn).
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


class TranscriptStore:
    """Synchronous store; every method is one short transaction."""

    def __init__(self, url: str) -> None:
        self._engine = _make_engine(url)

    @classmethod
    def open(cls, settings: Settings) -> TranscriptStore:
        store = cls(db_url(settings))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        # Two small tables without history to migrate yet; create_all is idempotent.
        _metadata.create_all(self._engine)

    def dispose(self) -> None:
        self._engine.dispose()

    # --- conversations -------------------------------------------------------------

    def conversation_exists(self, conversation_id: str) -> bool:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(conversations.c.id).where(conversations.c.id == conversation_id)
            ).first()
        return row is not None

    def create_conversation(self, conversation_id: str) -> None:
        now = _now()
        with self._engine.begin() as conn:
            conn.execute(
                conversations.insert().values(
                    id=conversation_id, created_at=now, last_active_at=now
                )
            )

    def touch(self, conversation_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                conversations.update()
                .where(conversations.c.id == conversation_id)
                .values(last_active_at=_now())
            )

    # --- turns ---------------------------------------------------------------------

    def find_turn(self, conversation_id: str, client_message_id: str) -> Turn | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(turns).where(
                    turns.c.conversation_id == conversation_id,
                    turns.c.client_message_id == client_message_id,
                )
            ).first()
        return _turn(row) if row is not None else None

    def add_turn(self, conversation_id: str, turn: Turn) -> None:
        """Store a turn and mark the conversation active, in one transaction."""
        with self._engine.begin() as conn:
            conn.execute(
                turns.insert().values(
                    conversation_id=conversation_id,
                    client_message_id=turn.client_message_id,
                    user_text=turn.user_text,
                    display_text=turn.display_text,
                    locale=turn.locale,
                    replies=json.dumps([r.to_dict() for r in turn.replies], ensure_ascii=False),
                    source=turn.source,
                    created_at=turn.created_at,
                )
            )
            conn.execute(
                conversations.update()
                .where(conversations.c.id == conversation_id)
                .values(last_active_at=turn.created_at)
            )

    def history(self, conversation_id: str, limit: int = 200) -> list[Turn]:
        """The last ``limit`` turns, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(turns)
                .where(turns.c.conversation_id == conversation_id)
                .order_by(turns.c.id.desc())
                .limit(limit)
            ).fetchall()
        return [_turn(row) for row in reversed(rows)]

    def last_user_texts(self, conversation_id: str, count: int = 2) -> list[str]:
        """The last ``count`` user texts, oldest first (context for the fail-safe screen)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(turns.c.user_text)
                .where(turns.c.conversation_id == conversation_id)
                .order_by(turns.c.id.desc())
                .limit(count)
            ).fetchall()
        return [row[0] for row in reversed(rows)]

    def last_replies(self, conversation_id: str) -> Sequence[Reply]:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(turns.c.replies)
                .where(turns.c.conversation_id == conversation_id)
                .order_by(turns.c.id.desc())
                .limit(1)
            ).first()
        return _replies(row[0]) if row is not None else ()

    # --- erasure and retention -----------------------------------------------------

    def erase_conversation(self, conversation_id: str) -> int:
        """Delete the conversation and its turns; returns the number of turns deleted."""
        with self._engine.begin() as conn:
            deleted = conn.execute(
                turns.delete().where(turns.c.conversation_id == conversation_id)
            ).rowcount
            conn.execute(conversations.delete().where(conversations.c.id == conversation_id))
        return int(deleted or 0)

    def purge_inactive(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete conversations idle for longer than ``older_than``; returns turns deleted."""
        cutoff = (now or _now()) - older_than
        stale = sa.select(conversations.c.id).where(conversations.c.last_active_at < cutoff)
        with self._engine.begin() as conn:
            deleted = conn.execute(
                turns.delete().where(turns.c.conversation_id.in_(stale))
            ).rowcount
            conn.execute(conversations.delete().where(conversations.c.last_active_at < cutoff))
        return int(deleted or 0)


def _replies(raw: str) -> tuple[Reply, ...]:
    try:
        items = json.loads(raw)
    except ValueError:
        return ()
    return tuple(Reply.from_dict(i) for i in items if isinstance(i, dict))


def _turn(row: Any) -> Turn:
    return Turn(
        client_message_id=row.client_message_id,
        user_text=row.user_text,
        display_text=row.display_text,
        locale=row.locale,
        replies=_replies(row.replies),
        source=row.source,
        created_at=row.created_at,
    )
