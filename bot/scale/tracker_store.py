"""A SQL tracker store that keeps answering through a database outage, and says so.

Stock Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``: when the database
fails, ``retrieve`` silently returns no tracker and ``save`` silently writes to memory,
and the events of those turns never reach the event broker (``stream_events`` needs a
``retrieve`` first). So conversations lose their context and the audit record gets holes,
with nothing but an error line in a log.

This store never raises into Rasa, so the fail-safe wrapper stays idle, and it is open
about its state:

* **healthy**: each ``save`` writes the events the database does not have yet in one
  transaction and publishes exactly those to the event broker (no second ``retrieve``:
  the database count is the diff);
* **outage**: ``retrieve`` serves this replica's most recent copy of the conversation
  (or starts a new one), ``save`` keeps the tracker in memory as *pending* and publishes
  the new events at once (the audit broker spools them on local disk), and
  :func:`health` reports ``degraded`` with the number of pending conversations;
* **recovery**: a background task writes the pending trackers back (without publishing
  their events a second time) and health returns to ``ready``.

Database work (queries, inserts, commits) and publishing to the audit broker (an
fsync'd spool line per event) run on one worker thread of the store, in order, so
Rasa's event loop keeps serving other conversations while a commit waits for the disk
or for PostgreSQL. A message's reply is still sent only after its ``save`` finished.

A replica only knows the pending conversations it served itself: the channels route a
conversation to one replica, so this holds in practice. A replica restarted during an
outage loses its pending trackers (their events are already in the audit spool).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

__all__ = ["ResilientSQLTrackerStore", "health"]

logger = logging.getLogger(__name__)

# The database errors that mean "unreachable right now" rather than a bug.
_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
    OSError,
)
_LIVE: weakref.WeakSet[ResilientSQLTrackerStore] = weakref.WeakSet()
_T = TypeVar("_T")


def health() -> dict[str, Any]:
    """Worst state of the tracker stores alive in this process."""
    stores = list(_LIVE)
    if not stores:
        return {"status": "down", "reasons": ["no tracker store of this project is loaded"]}
    states = [store.health() for store in stores]
    order = ["ready", "degraded", "down"]
    worst = max(states, key=lambda s: order.index(s["status"]))
    return worst


def _engine_kwargs(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # One file shared by the store's worker thread and the replay thread. Pooled:
        # SQLAlchemy 1.4 would open (and close) a new SQLite connection per query.
        return {
            "connect_args": {"check_same_thread": False, "timeout": 5},
            "poolclass": sa.pool.QueuePool,
        }
    # Fail fast when the server is down instead of waiting on a dead connection.
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}}


def _sqlite_wal(dbapi_connection: Any, connection_record: Any) -> None:
    """Write-ahead log with full sync: as durable as the default rollback journal
    (every commit is on disk before it returns), but one fsync'd append per commit
    instead of a journal file created, synced and deleted, and readers do not wait
    for writers (other replicas, the audit's erasure)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


class ResilientSQLTrackerStore(SQLTrackerStore):
    RETRY_SECONDS = 2.0
    # Latest tracker objects kept (by reference, no copy) for serving during an outage.
    RECENT_CONVERSATIONS = 500

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        # SQLTrackerStore.__init__ loops forever while the database is down; start
        # degraded instead and let the replay task finish the set-up later.
        TrackerStore.__init__(self, domain, event_broker, **kwargs)
        self.url = url or host or "sqlite:///rasa.db"
        self.engine = sa.create_engine(self.url, **_engine_kwargs(self.url))
        if self.url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_wal)
        # One thread, so database work and publishing keep Rasa's order.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-store")
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._lock = threading.Lock()
        # Serialises writes: the replay thread and the event loop must not both insert
        # the same missing events (the database count is the diff).
        self._write_lock = threading.Lock()
        self._recent: OrderedDict[str, DialogueStateTracker] = OrderedDict()
        self._pending: dict[str, DialogueStateTracker] = {}
        # Per pending conversation: how many of its tracker's events are already published.
        self._published: dict[str, int] = {}
        self._outage_since: float | None = None
        self._last_error = ""
        self._schema_ready = False
        self._replay_task: asyncio.Task[None] | None = None
        self._ensure_schema()
        _LIVE.add(self)

    # ------------------------------------------------------------------ state

    def health(self) -> dict[str, Any]:
        with self._lock:
            pending = len(self._pending)
            since = self._outage_since
        if since is None and pending == 0:
            return {"status": "ready", "reasons": [], "pending": 0}
        reasons = []
        if since is not None:
            reasons.append(
                f"tracker database unreachable for {time.monotonic() - since:.0f}s "
                f"({self._last_error}); conversations are kept in memory and written back later"
            )
        if pending:
            reasons.append(f"{pending} conversation(s) waiting to be written to the tracker database")
        return {"status": "degraded", "reasons": reasons, "pending": pending}

    def _outage(self, error: BaseException) -> None:
        with self._lock:
            first = self._outage_since is None
            if first:
                self._outage_since = time.monotonic()
            self._last_error = type(error).__name__
        if first:
            logger.warning(
                "tracker database unreachable (%s): serving from memory and reporting degraded",
                type(error).__name__,
            )
        self._schedule_replay()

    def _recovered(self) -> None:
        with self._lock:
            was_down = self._outage_since is not None
            self._outage_since = None
        if was_down:
            logger.warning("tracker database reachable again")

    def _ensure_schema(self) -> bool:
        if self._schema_ready:
            return True
        try:
            self.Base.metadata.create_all(self.engine)
        except _OUTAGE_ERRORS as error:
            self._outage(error)
            return False
        except sa.exc.ProgrammingError:
            # Another replica created the tables at the same moment.
            pass
        self._schema_ready = True
        return True

    # ------------------------------------------------------------------ reading

    async def _in_thread(self, function: Callable[..., _T], *args: Any) -> _T:
        result = await asyncio.get_running_loop().run_in_executor(self._io, function, *args)
        if self._outage_since is not None:
            self._schedule_replay()  # needs the event loop, so here rather than in the thread
        return result

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        return await self._in_thread(self._retrieve_sync, sender_id, fetch_events_from_all_sessions)

    def _retrieve_sync(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self._lock:
            pending = self._pending.get(sender_id)
        if pending is not None:
            # Newer than the database until the replay has written it.
            return pending.copy()
        try:
            if not self._ensure_schema():
                raise sa.exc.OperationalError("schema", {}, ConnectionError("not ready"))
            # As SQLTrackerStore._retrieve, which is a coroutine that cannot run here.
            with self.session_scope() as session:
                rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
                events = [json.loads(row.data) for row in rows]
        except _OUTAGE_ERRORS as error:
            self._outage(error)
            with self._lock:
                cached = self._recent.get(sender_id)
            return self._session_view(cached) if cached is not None else None
        self._recovered()
        if self.domain is None or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def keys(self) -> list[str]:
        try:
            return list(await super().keys())
        except _OUTAGE_ERRORS as error:
            self._outage(error)
            with self._lock:
                return list(dict.fromkeys([*self._pending, *self._recent]))

    # ------------------------------------------------------------------ writing

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._in_thread(self._save_sync, tracker)

    def _save_sync(self, tracker: DialogueStateTracker) -> None:
        sender = tracker.sender_id
        with self._lock:
            was_pending = sender in self._pending
            published = self._published.get(sender)
            if published is None:
                # Not pending: everything in the copy saved last was published then.
                cached = self._recent.get(sender)
                published = len(self._session_view(cached).events) if cached is not None else 0
        try:
            if not self._ensure_schema():
                raise sa.exc.OperationalError("schema", {}, ConnectionError("not ready"))
            written = self._write(tracker)
        except _OUTAGE_ERRORS as error:
            self._outage(error)
            self._publish(list(tracker.events)[published:], sender)
            with self._lock:
                self._pending[sender] = tracker
                self._published[sender] = len(tracker.events)
                self._remember(sender, tracker)
            return
        self._recovered()
        # Events published while the database was down must not be published twice.
        self._publish(list(tracker.events)[published:] if was_pending else written, sender)
        with self._lock:
            self._pending.pop(sender, None)
            self._published.pop(sender, None)
            self._remember(sender, tracker)

    def _session_view(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """A copy holding only the latest session, as ``retrieve`` from the database
        returns it: the database's event count since the session start is the diff, so
        a tracker served from memory must be cut the same way."""
        events = list(tracker.events)
        start = max(
            (i for i, e in enumerate(events) if isinstance(e, SessionStarted)), default=0
        )
        slots = self.domain.slots if self.domain else []
        return DialogueStateTracker.from_events(tracker.sender_id, events[start:], slots)

    def _remember(self, sender: str, tracker: DialogueStateTracker) -> None:
        """Keep the latest tracker for serving during an outage (caller holds the lock).

        By reference: Rasa builds a new tracker for every message and drops this one
        after ``save``; copies are made only when one is served from memory.
        """
        self._recent[sender] = tracker
        self._recent.move_to_end(sender)
        while len(self._recent) > self.RECENT_CONVERSATIONS:
            self._recent.popitem(last=False)

    def _write(self, tracker: DialogueStateTracker) -> list[Event]:
        """Insert the events the database does not have yet; return them."""
        with self._write_lock, self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            for event in events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        return events

    def _publish(self, events: list[Event], sender: str) -> None:
        if self.event_broker is None or not events:
            return
        bodies = [{"sender_id": sender, **event.as_dict()} for event in events]
        publish_many = getattr(self.event_broker, "publish_many", None)
        if callable(publish_many):
            publish_many(bodies)  # the audit broker: one spool fsync for the whole turn
            return
        for body in bodies:
            self.event_broker.publish(body)

    # ------------------------------------------------------------------ replay

    def _schedule_replay(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (e.g. start-up in a thread): the next save schedules it
        if self._replay_task is None or self._replay_task.done():
            self._replay_task = loop.create_task(self._replay_loop())

    async def _replay_loop(self) -> None:
        while True:
            await asyncio.sleep(self.RETRY_SECONDS)
            if await asyncio.to_thread(self._replay_once):
                return

    def _replay_once(self) -> bool:
        """Write pending trackers back; True when nothing is pending and the DB answers."""
        try:
            if not self._ensure_schema():
                return False
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except _OUTAGE_ERRORS:
            return False
        self._recovered()
        with self._lock:
            pending = list(self._pending.items())
        for sender, tracker in pending:
            try:
                self._write(tracker)
            except _OUTAGE_ERRORS as error:
                self._outage(error)
                return False
            with self._lock:
                # Only drop it if no newer turn replaced it meanwhile.
                if self._pending.get(sender) is tracker:
                    del self._pending[sender]
                    self._published.pop(sender, None)
        with self._lock:
            done = not self._pending
        if done:
            logger.warning("tracker database: all pending conversations written back")
        return done
